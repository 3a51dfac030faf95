namespace SlipsP2P.Core.Tests;

public class TimeWindowsTests
{
    [Fact]
    public void Number_FromFirstTimestamp_IsSlipsFormula()
    {
        var tw = new TimeWindows(3600);
        Assert.Equal(1, tw.Number(1000));
        Assert.Equal(1, tw.Number(1000 + 3599.999));
        Assert.Equal(2, tw.Number(1000 + 3600));
        Assert.Equal(3, tw.Number(1000 + 7201));
        Assert.Equal(1, tw.Number(900)); // before the origin stays in the first window
        Assert.Equal(1000 + 3600, tw.Start(2));
        Assert.Equal(1000 + 7200, tw.End(2));
    }

    [Fact]
    public void Constructor_NonPositiveWidth_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeWindows(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeWindows(double.NaN));
    }

    [Theory]
    [InlineData(ThreatLevel.Info, 0)]
    [InlineData(ThreatLevel.Low, 0.2)]
    [InlineData(ThreatLevel.Medium, 0.5)]
    [InlineData(ThreatLevel.High, 0.8)]
    [InlineData(ThreatLevel.Critical, 1)]
    public void ThreatLevel_Value_MatchesSlips(ThreatLevel level, double value) => Assert.Equal(value, level.Value());
}

using SlipsP2P.Detection.Behaviour;

namespace SlipsP2P.Detection.Tests;

public class BehaviouralLetterTests
{
    [Theory]
    [InlineData(-1, 1, 1, '1')]
    [InlineData(-1, 3, 3, '9')]
    [InlineData(1, 1, 1, 'a')]
    [InlineData(1, 2, 3, 'f')]
    [InlineData(2, 3, 1, 'G')]
    [InlineData(3, 1, 2, 's')]
    [InlineData(3, 3, 3, 'z')]
    [InlineData(4, 2, 2, 'V')]
    [InlineData(4, 3, 3, 'Z')]
    public void Letter_Bands_StratosphereTable(int periodicity, int size, int duration, char expected) =>
        Assert.Equal(expected, StratosphereLetters.Letter(periodicity, size, duration));

    [Theory]
    [InlineData(10, 10.5, 1)]
    [InlineData(10, 12.9, 2)]
    [InlineData(10, 13.1, 3)]
    [InlineData(10, 50, 3)]
    [InlineData(10, 51, 4)]
    [InlineData(10, 1.9, 4)]
    [InlineData(0, 5, 1)]
    public void Periodicity_Ratios_Banded(double t1, double t2, int expected) =>
        Assert.Equal(expected, StratosphereLetters.Periodicity(t1, t2));

    [Theory]
    [InlineData(0.1, 1)]
    [InlineData(0.11, 2)]
    [InlineData(10, 2)]
    [InlineData(10.5, 3)]
    public void DurationBand_Edges(double duration, int band) => Assert.Equal(band, StratosphereLetters.DurationBand(duration));

    [Theory]
    [InlineData(250, 1)]
    [InlineData(251, 2)]
    [InlineData(1100, 2)]
    [InlineData(1101, 3)]
    public void SizeBand_Edges(long bytes, int band) => Assert.Equal(band, StratosphereLetters.SizeBand(bytes));

    [Fact]
    public void Add_PeriodicSmallShortFlows_NoHistoryThenStrongPeriodic()
    {
        var t = new TupleLetters();
        for (int i = 0; i < 5; i++) t.Add(1000 + (i * 2), 0.05, 100);
        // Flows 1 and 2 have no two earlier gaps: '1' with no time character; then 'a' (strongly periodic,
        // small, short) followed by '.' for a 2 s gap.
        Assert.Equal("11a.a.a.", t.Letters);
    }

    [Fact]
    public void Add_GapsOverMinuteAndHour_TimeCharsAndZeros()
    {
        var t = new TupleLetters();
        t.Add(0, 20, 2000);        // 3: size 3, duration 3, no history -> '9'
        t.Add(100, 20, 2000);      // '9'
        t.Add(200, 20, 2000);      // T1 100, T2 100 -> 'i' then '+' (<= 300 s)
        t.Add(2000, 20, 2000);     // T2 1800: ratio 18 -> 'Z', '*'
        t.Add(9500, 20, 2000);     // T2 7500 s: two zeros, ratio 4.17 -> 'z', no time char above an hour
        Assert.Equal("99i+Z*00z", t.Letters);
    }

    [Fact]
    public void Add_ManyFlows_BoundedAndMarkedTruncated()
    {
        var t = new TupleLetters();
        for (int i = 0; i < TupleLetters.MaxLength * 2; i++) t.Add(i, 0, 0);
        Assert.True(t.Letters.Length <= TupleLetters.MaxLength);
        Assert.True(t.Truncated);
        Assert.Equal(TupleLetters.MaxLength * 2, t.Flows);
    }
}

using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class EvidenceEngineTests
{
    private static readonly IpAddr s_attacker = Ip("10.0.0.66");

    private static Evidence Make(ThreatLevel level, double confidence, double ts = 1000, string type = EvidenceTypes.VerticalPortScan,
        AttackerDirection direction = AttackerDirection.Source, string victim = "") => new()
        {
            Type = type,
            Description = "test",
            Attacker = s_attacker,
            Victim = victim.Length > 0 ? Ip(victim) : default,
            Direction = direction,
            ThreatLevel = level,
            Confidence = confidence,
            Timestamp = ts,
        };

    private static (EvidenceEngine Engine, RecordingSink Sink) Create(AnalysisOptions? options = null, IThresholdFactor? factor = null, Whitelist? whitelist = null)
    {
        options ??= new AnalysisOptions();
        var sink = new RecordingSink();
        var windows = new TimeWindows(options.TimeWindowWidth);
        windows.Number(1000);
        return (new EvidenceEngine(options, sink, windows, factor, whitelist), sink);
    }

    [Fact]
    public void ThresholdFor_Defaults_Fifteen() => Assert.Equal(15.0, Create().Engine.ThresholdFor(s_attacker, 1000), 9);

    [Fact]
    public void ThresholdFor_SixtySecondWindows_QuarterPoint() =>
        Assert.Equal(0.25, Create(new AnalysisOptions { TimeWindowWidth = 60 }).Engine.ThresholdFor(s_attacker, 1000), 9);

    [Fact]
    public void ThresholdFor_FactorHalf_Halved() => Assert.Equal(7.5, Create(factor: new FixedFactor(0.5)).Engine.ThresholdFor(s_attacker, 1000), 9);

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(double.NaN)]
    public void ThresholdFor_InvalidFactor_Ignored(double factor) =>
        Assert.Equal(15.0, Create(factor: new FixedFactor(factor)).Engine.ThresholdFor(s_attacker, 1000), 9);

    [Fact]
    public void Submit_BelowThreshold_NoAlert()
    {
        var (engine, sink) = Create();
        for (int i = 0; i < 29; i++) engine.Submit(Make(ThreatLevel.Medium, 1));
        Assert.Empty(sink.Alerts);
        Assert.Equal(14.5, engine.Accumulated(s_attacker, 1), 9);
    }

    [Fact]
    public void Submit_ReachesThreshold_AlertWithItsEvidenceThenReset()
    {
        var (engine, sink) = Create();
        for (int i = 0; i < 30; i++) engine.Submit(Make(ThreatLevel.Medium, 1));
        var alert = Assert.Single(sink.Alerts);
        Assert.Equal(30, alert.Evidence.Count);
        Assert.Equal(15.0, alert.AccumulatedThreatLevel, 9);
        Assert.Equal(15.0, alert.Threshold, 9);
        Assert.Equal(1, alert.TimeWindow);
        Assert.Equal(0, engine.Accumulated(s_attacker, 1));

        // The evidence that made the first alert is not counted again: 29 more are not enough for a second one.
        for (int i = 0; i < 29; i++) engine.Submit(Make(ThreatLevel.Medium, 1));
        Assert.Single(sink.Alerts);
        engine.Submit(Make(ThreatLevel.Medium, 1));
        Assert.Equal(2, sink.Alerts.Count);
        Assert.Equal(30, sink.Alerts[1].Evidence.Count);
    }

    [Fact]
    public void Submit_SixtySecondWindow_AlertsAtQuarterPoint()
    {
        var (engine, sink) = Create(new AnalysisOptions { TimeWindowWidth = 60 });
        engine.Submit(Make(ThreatLevel.Low, 1));
        Assert.Empty(sink.Alerts);
        engine.Submit(Make(ThreatLevel.Low, 0.25));
        Assert.Single(sink.Alerts);
    }

    [Fact]
    public void Submit_FactorHalf_AlertsAtHalfTheEvidence()
    {
        var (engine, sink) = Create(factor: new FixedFactor(0.5));
        for (int i = 0; i < 15; i++) engine.Submit(Make(ThreatLevel.Medium, 1));
        Assert.Single(sink.Alerts);
        Assert.Equal(7.5, sink.Alerts[0].Threshold, 9);
    }

    [Fact]
    public void Submit_InfoEvidence_AddsNothingButIsReported()
    {
        var (engine, sink) = Create(new AnalysisOptions { TimeWindowWidth = 60 });
        for (int i = 0; i < 100; i++) engine.Submit(Make(ThreatLevel.Info, 1));
        Assert.Empty(sink.Alerts);
        Assert.Equal(100, sink.Evidence.Count);
        Assert.Equal(0, engine.Accumulated(s_attacker, 1));
    }

    [Fact]
    public void Submit_DestinationDirection_NotCounted()
    {
        var (engine, sink) = Create(new AnalysisOptions { TimeWindowWidth = 60 });
        for (int i = 0; i < 10; i++) engine.Submit(Make(ThreatLevel.Critical, 1, direction: AttackerDirection.Destination));
        Assert.Empty(sink.Alerts);
        Assert.Equal(10, sink.Evidence.Count);
    }

    [Fact]
    public void Submit_DisabledType_Dropped()
    {
        var options = new AnalysisOptions { TimeWindowWidth = 60 };
        options.DisabledDetections.Add(EvidenceTypes.VerticalPortScan);
        var (engine, sink) = Create(options);
        Assert.False(engine.Submit(Make(ThreatLevel.Critical, 1)));
        Assert.True(engine.Submit(Make(ThreatLevel.Critical, 1, type: EvidenceTypes.HorizontalPortScan)));
        Assert.Single(sink.Evidence);
        Assert.Equal(1, engine.DisabledCount);
    }

    [Fact]
    public void Submit_WhitelistedVictim_Dropped()
    {
        var whitelist = Whitelist.Parse(new StringReader("ip,192.0.2.1,dst,alerts\n"), "wl");
        var (engine, sink) = Create(whitelist: whitelist);
        Assert.False(engine.Submit(Make(ThreatLevel.High, 1, victim: "192.0.2.1")));
        Assert.True(engine.Submit(Make(ThreatLevel.High, 1, victim: "192.0.2.2")));
        Assert.Single(sink.Evidence);
        Assert.Equal(1, engine.WhitelistedCount);
    }

    [Fact]
    public void Submit_EvidenceWithoutWindow_WindowFromTimestamp()
    {
        var (engine, sink) = Create(new AnalysisOptions { TimeWindowWidth = 60 });
        engine.Submit(Make(ThreatLevel.Low, 0.1, ts: 1000 + 130));
        Assert.Equal(3, sink.Evidence[0].TimeWindow);
    }

    [Fact]
    public void Submit_SeparateWindows_AccumulateSeparately()
    {
        var (engine, sink) = Create(new AnalysisOptions { TimeWindowWidth = 60 });
        engine.Submit(Make(ThreatLevel.Low, 1, ts: 1000));
        engine.Submit(Make(ThreatLevel.Low, 0.25, ts: 1070));
        Assert.Empty(sink.Alerts);
    }
}

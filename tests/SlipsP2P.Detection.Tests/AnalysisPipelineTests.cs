using SlipsP2P.Detection.Detectors;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class AnalysisPipelineTests
{
    [Fact]
    public void Profiles_FlowsInTwoWindows_SummaryPerProfileAndWindow()
    {
        var p = new AnalysisPipeline(new AnalysisOptions { TimeWindowWidth = 60 }, new RecordingSink());
        p.OnEvent(Flow("10.0.0.1", "8.8.8.8", 53, 1000, Protocol.Udp, srcBytes: 40, dstBytes: 60));
        p.OnEvent(Flow("10.0.0.1", "8.8.4.4", 53, 1010, Protocol.Udp, srcBytes: 40, dstBytes: 60));
        p.OnEvent(Flow("10.0.0.1", "8.8.4.4", 443, 1020));
        p.OnEvent(Flow("10.0.0.1", "1.1.1.1", 443, 1070));
        p.OnEvent(Flow("10.0.0.2", "1.1.1.1", 443, 1071));
        var profiles = p.Profiles.ToList();
        Assert.Equal(3, profiles.Count);
        var first = profiles[0];
        Assert.Equal((Ip("10.0.0.1"), 1, 3L, 260L, 2, 2), (first.Profile, first.TimeWindow, first.Flows, first.Bytes, first.DistinctDestinationIps, first.DistinctDestinationPorts));
        Assert.Equal(1000, first.WindowStart);
        Assert.Equal(1060, first.WindowEnd);
        Assert.Equal(2, profiles[1].TimeWindow);
        Assert.Equal(2, p.Stats.Profiles);
        Assert.Equal(5, p.Stats.Flows);
    }

    [Fact]
    public void Tuples_RepeatedConnections_LettersPerTuple()
    {
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink());
        for (int i = 0; i < 4; i++) p.OnEvent(Flow("10.0.0.1", "203.0.113.5", 443, 1000 + (i * 2), established: true, srcBytes: 50, dstBytes: 50, duration: 0.05));
        p.OnEvent(Flow("10.0.0.1", "203.0.113.5", 80, 1000));
        var tuples = p.Tuples.ToList();
        Assert.Equal(2, tuples.Count);
        var https = tuples.Single(t => t.Port == 443);
        Assert.Equal("11a.a.", https.Letters);
        Assert.Equal("203.0.113.5-443-tcp", https.TupleId);
        Assert.Equal(TupleDirection.Out, https.Direction);
        Assert.Equal(4, https.Flows);
    }

    [Fact]
    public void DirectionAll_DestinationProfile_InboundTuple()
    {
        var p = new AnalysisPipeline(new AnalysisOptions { AnalysisDirection = AnalysisDirection.All }, new RecordingSink());
        p.OnEvent(Flow("10.0.0.1", "10.0.0.2", 22, 1000));
        var inbound = Assert.Single(p.Profiles, s => s.Profile == Ip("10.0.0.2"));
        Assert.Equal((1L, 1), (inbound.InboundFlows, inbound.DistinctSourceIps));
        Assert.Contains(p.Tuples, t => t.Profile == Ip("10.0.0.2") && t.Direction == TupleDirection.In && t.Address == Ip("10.0.0.1"));
    }

    [Fact]
    public void DetectFalse_ScanTraffic_ProfilesButNoEvidence()
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, detect: false);
        for (int i = 1; i <= 20; i++) p.OnEvent(Flow("192.168.2.16", $"203.0.113.{i}", 23, 1000 + i));
        p.Finish();
        Assert.Empty(sink.Evidence);
        Assert.Single(p.Profiles);
        Assert.Equal(20, p.Tuples.Count());
    }

    [Fact]
    public void Windows_AdvancePastTwo_OldStateEvictedSummariesKept()
    {
        var scans = new Detectors.PortScans.PortScanDetector();
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions { TimeWindowWidth = 60 }, sink, [scans]);

        // Window 1: 9 hosts on port 23, one short of a scan.
        for (int i = 1; i <= 9; i++) p.OnEvent(Flow("192.168.2.16", $"203.0.113.{i}", 23, 1000 + i));

        // Window 4 starts: window 1 closed two windows ago, so its state goes.
        p.OnEvent(Flow("10.9.9.9", "1.1.1.1", 443, 1000 + 185));
        Assert.Equal(1, p.Stats.EvictedWindows);

        // A late record in window 1 starts from an empty state: the 10th host does not complete a scan.
        p.OnEvent(Flow("192.168.2.16", "203.0.113.10", 23, 1020));
        Assert.Empty(sink.Evidence);
        Assert.Contains(p.Profiles, s => s.TimeWindow == 1 && s.Flows == 9);
    }

    [Fact]
    public void Finish_TwiceThenEvent_Throws()
    {
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink());
        p.Finish();
        p.Finish();
        Assert.Throws<InvalidOperationException>(() => p.OnEvent(Flow("10.0.0.1", "10.0.0.2", 1, 1)));
    }

    [Fact]
    public void OnEvent_NonFiniteTimestamp_SkippedAndCounted()
    {
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink());
        p.OnEvent(Flow("10.0.0.1", "10.0.0.2", 1, double.NaN));
        Assert.Equal((1L, 0L, 1L), (p.Stats.Records, p.Stats.Flows, p.Stats.Skipped));
    }

    [Fact]
    public void OnEvent_DetectorThrows_ErrorReportedAndOthersRun()
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [new ThrowingDetector(), new Detectors.LongConnection.LongConnectionDetector()]);
        var f = Flow("10.0.0.1", "10.0.0.2", 1, 1000, duration: 5000);
        f.SourceLine = 42;
        p.OnEvent(f);
        Assert.Single(sink.Evidence);
        Assert.Equal("detector throwing failed on record 42: InvalidOperationException: boom", Assert.Single(p.Errors));
    }

    [Fact]
    public void Constructor_InvalidOptions_ArgumentExceptionNamingSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AnalysisPipeline(new AnalysisOptions { TimeWindowWidth = 0 }, new RecordingSink()));
        Assert.Contains("TimeWindowWidth", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Alert_TenScannedHostsInOneMinuteWindow_Fires()
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions { TimeWindowWidth = 60 }, sink);
        for (int i = 1; i <= 10; i++) p.OnEvent(Flow("192.168.2.16", $"203.0.113.{i}", 23, 1000 + i, srcPackets: 2));
        var alert = Assert.Single(sink.Alerts);
        Assert.Equal(Ip("192.168.2.16"), alert.Profile);
        Assert.Equal(EvidenceTypes.HorizontalPortScan, Assert.Single(alert.Evidence).Type);
    }

    private sealed class ThrowingDetector : IDetector
    {
        public string Name => "throwing";

        public void OnFlow(FlowRecord flow, DetectionContext ctx) => throw new InvalidOperationException("boom");

        public void OnRecord(NetEvent record, DetectionContext ctx)
        {
        }

        public void OnFinish(DetectionContext ctx)
        {
        }

        public void EvictBefore(int window)
        {
        }
    }
}

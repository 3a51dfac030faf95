using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class LongConnectionTests
{
    private static RecordingSink Run(params FlowRecord[] flows)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink);
        foreach (var f in flows) p.OnEvent(f);
        return sink;
    }

    [Fact]
    public void LongConnection_AtThreshold_NoEvidence() =>
        Assert.Empty(Run(Flow("10.0.0.1", "8.8.8.8", 443, 1000, established: true, duration: 1500)).Evidence);

    [Fact]
    public void LongConnection_AboveThreshold_LowEvidence()
    {
        var e = Assert.Single(Run(Flow("10.0.0.1", "8.8.8.8", 443, 1000, established: true, duration: 43200)).OfType(EvidenceTypes.LongConnection));
        Assert.Equal(ThreatLevel.Low, e.ThreatLevel);
        Assert.Equal(0.5, e.Confidence);
        Assert.Contains("took 720 mins", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void LongConnection_Multicast_Excluded() =>
        Assert.Empty(Run(Flow("10.0.0.1", "239.255.255.250", 1900, 1000, Protocol.Udp, duration: 5000)).Evidence);
}

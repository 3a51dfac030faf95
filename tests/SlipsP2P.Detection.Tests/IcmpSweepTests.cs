using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class IcmpSweepTests
{
    private static RecordingSink Run(IEnumerable<FlowRecord> flows)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink);
        foreach (var f in flows) p.OnEvent(f);
        return sink;
    }

    private static IEnumerable<FlowRecord> Pings(int hosts, ushort type = 8, Protocol proto = Protocol.Icmp) =>
        Enumerable.Range(1, hosts).Select(i => Icmp("192.168.1.109", proto == Protocol.Icmp ? $"192.168.1.{i}" : $"2001:db8::{i:x}", type, 1000 + i, proto));

    [Fact]
    public void EchoSweep_FourHosts_NoEvidence() => Assert.Empty(Run(Pings(4)).Evidence);

    [Fact]
    public void EchoSweep_FiveHosts_MediumAddressScan()
    {
        var e = Assert.Single(Run(Pings(5)).OfType(EvidenceTypes.IcmpAddressScan));
        Assert.Equal(ThreatLevel.Medium, e.ThreatLevel);
        Assert.Equal("192.168.1.109 performed ICMP address scan on 5 hosts. Confidence: 0.25.", e.Description);
        Assert.True(e.Confidence > 0);
    }

    [Fact]
    public void EchoSweep_TwelveHosts_EvidenceEveryFive() =>
        Assert.Equal(2, Run(Pings(12)).OfType(EvidenceTypes.IcmpAddressScan).Count);

    [Fact]
    public void EchoSweep_SameHostRepeated_CountsOnce()
    {
        var flows = Enumerable.Range(1, 20).Select(i => Icmp("192.168.1.109", "192.168.1.1", 8, 1000 + i));
        Assert.Empty(Run(flows).Evidence);
    }

    [Fact]
    public void EchoSweepV6_FiveHosts_AddressScan() =>
        Assert.Single(Run(Pings(5, 128, Protocol.Icmp6)).OfType(EvidenceTypes.IcmpAddressScan));

    [Fact]
    public void TimestampRequests_FiveHosts_TimestampScan() =>
        Assert.Single(Run(Pings(5, 13)).OfType(EvidenceTypes.IcmpTimestampScan));

    [Fact]
    public void AddressMaskRequests_FiveHosts_AddressMaskScan() =>
        Assert.Single(Run(Pings(5, 17)).OfType(EvidenceTypes.IcmpAddressMaskScan));

    [Fact]
    public void EchoReplies_FiveHosts_NoEvidence() => Assert.Empty(Run(Pings(5, 0)).Evidence);
}

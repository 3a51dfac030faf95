using SlipsP2P.Detection.Detectors.PortScans;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class PortScanTests
{
    private static RecordingSink Run(IEnumerable<FlowRecord> flows, AnalysisOptions? options = null)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(options ?? new AnalysisOptions(), sink);
        foreach (var f in flows) p.OnEvent(f);
        p.Finish();
        return sink;
    }

    private static IEnumerable<FlowRecord> Vertical(int ports, bool established = false, Protocol proto = Protocol.Tcp) =>
        Enumerable.Range(1, ports).Select(i => Flow("10.0.0.5", "198.51.100.7", (ushort)(1000 + i), 1000 + i, proto, established, srcPackets: 1));

    private static IEnumerable<FlowRecord> Horizontal(int hosts, ushort port = 23, long packets = 2) =>
        Enumerable.Range(1, hosts).Select(i => Flow("192.168.2.16", $"203.0.113.{i}", port, 1000 + i, srcPackets: packets));

    [Fact]
    public void Vertical_NinePorts_NoEvidence() =>
        Assert.Empty(Run(Vertical(9)).OfType(EvidenceTypes.VerticalPortScan));

    [Fact]
    public void Vertical_TenPorts_OneHighEvidence()
    {
        var e = Assert.Single(Run(Vertical(10)).OfType(EvidenceTypes.VerticalPortScan));
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
        Assert.Equal(Ip("10.0.0.5"), e.Attacker);
        Assert.Equal(Ip("198.51.100.7"), e.Victim);
        Assert.Equal(1.0, e.Confidence);
        Assert.Equal(AttackerDirection.Source, e.Direction);
        Assert.Contains("10 TCP ports", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Vertical_NinetyNinePorts_StillOneEvidence() =>
        Assert.Single(Run(Vertical(99)).OfType(EvidenceTypes.VerticalPortScan));

    [Fact]
    public void Vertical_HundredPorts_SecondEvidenceAtLog10Step()
    {
        var es = Run(Vertical(100)).OfType(EvidenceTypes.VerticalPortScan);
        Assert.Equal(2, es.Count);
        Assert.Contains("Total 100 TCP ports", es[1].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Vertical_EstablishedFlows_NotCounted() =>
        Assert.Empty(Run(Vertical(20, established: true)).OfType(EvidenceTypes.VerticalPortScan));

    [Fact]
    public void Vertical_UdpFlows_CountedSeparately()
    {
        var e = Assert.Single(Run(Vertical(10, proto: Protocol.Udp)).OfType(EvidenceTypes.VerticalPortScan));
        Assert.Equal(Protocol.Udp, e.Protocol);
    }

    [Fact]
    public void Horizontal_NineHosts_NoEvidence() =>
        Assert.Empty(Run(Horizontal(9)).OfType(EvidenceTypes.HorizontalPortScan));

    [Fact]
    public void Horizontal_TenHosts_SlipsDescription()
    {
        var e = Assert.Single(Run(Horizontal(10)).OfType(EvidenceTypes.HorizontalPortScan));
        Assert.Equal("Horizontal port scan to port 23/tcp. From 192.168.2.16 to 10 unique destination IPs. Total packets sent: 20. Confidence: 1.", e.Description);
        Assert.Equal((ushort)23, e.Port);
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
    }

    [Fact]
    public void Horizontal_HundredHosts_ReportedAtTenAndHundred()
    {
        var es = Run(Horizontal(150)).OfType(EvidenceTypes.HorizontalPortScan);
        Assert.Equal(2, es.Count);
        Assert.Contains("to 100 unique destination IPs", es[1].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Horizontal_FewPackets_ConfidenceIsPacketsOverTen()
    {
        var e = Assert.Single(Run(Horizontal(10, packets: 0).Select(f => { f.SourcePackets = 0; return f; })).OfType(EvidenceTypes.HorizontalPortScan));
        Assert.Equal(0.3, e.Confidence);
    }

    [Fact]
    public void Horizontal_BroadcastAndMulticastTargets_Ignored()
    {
        var flows = Enumerable.Range(1, 12).Select(i => Flow("192.168.2.16", $"224.0.0.{i}", 5353, 1000 + i, Protocol.Udp))
            .Concat(Enumerable.Range(1, 12).Select(i => Flow("192.168.2.16", $"10.{i}.0.255", 137, 2000 + i, Protocol.Udp)));
        Assert.Empty(Run(flows).OfType(EvidenceTypes.HorizontalPortScan));
    }

    [Fact]
    public void Horizontal_ResolvedDestinations_Ignored()
    {
        var records = new List<NetEvent>();
        for (int i = 1; i <= 12; i++)
        {
            records.Add(new DnsRecord { Source = Ip("192.168.2.16"), Destination = Ip("192.168.2.1"), Timestamp = 900 + i, Query = $"h{i}.example.com", Answers = [$"203.0.113.{i}"] });
        }

        records.AddRange(Horizontal(12));
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink);
        foreach (var r in records) p.OnEvent(r);
        Assert.Empty(sink.OfType(EvidenceTypes.HorizontalPortScan));
    }

    [Fact]
    public void Scans_NewWindow_CountsRestart()
    {
        var options = new AnalysisOptions { TimeWindowWidth = 60 };
        var flows = Enumerable.Range(1, 6).Select(i => Flow("192.168.2.16", $"203.0.113.{i}", 23, 1000 + i))
            .Concat(Enumerable.Range(7, 6).Select(i => Flow("192.168.2.16", $"203.0.113.{i}", 23, 1100 + i)));
        Assert.Empty(Run(flows, options).OfType(EvidenceTypes.HorizontalPortScan));
    }

    [Theory]
    [InlineData(9, 0, 10, false)]
    [InlineData(10, 0, 10, true)]
    [InlineData(99, 10, 10, false)]
    [InlineData(100, 10, 10, true)]
    [InlineData(999, 100, 10, false)]
    [InlineData(1000, 100, 10, true)]
    [InlineData(5, 0, 5, true)]
    [InlineData(9, 5, 5, false)]
    [InlineData(10, 5, 5, true)]
    public void ShouldReport_Counts_FollowLog10Rule(int count, int last, int min, bool expected) =>
        Assert.Equal(expected, ScanReporting.ShouldReport(count, last, min));

    [Fact]
    public void PortScan_ManyTargets_MemoryCapCounted()
    {
        var detector = new PortScanDetector();
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [detector]);
        int targets = 0;
        for (uint i = 0; targets < PortScanDetector.MaxVerticalTargets + 10; i++)
        {
            // Addresses ending in .255 count as broadcast and are not scan targets.
            if ((i & 0xFF) == 0xFF) continue;
            targets++;
            p.OnEvent(Flow("10.0.0.5", IpAddr.FromV4(0x0B000000u + i).ToString(), 80, 1000 + (i * 0.001)));
        }

        Assert.Equal(10, detector.Dropped);
    }
}

using SlipsP2P.Detection.Tests.Support;
using SlipsP2P.Testing;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

/// <summary>Slips' own datasets, read with the test-only binetflow reader, must give the detections Slips' integration tests expect.</summary>
public class DatasetTests
{
    private static (RecordingSink Sink, AnalysisPipeline Pipeline) Analyse(string dataset)
    {
        string path = Requires.Dataset(dataset);
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink);
        foreach (var f in BinetflowFile.Read(path)) p.OnEvent(f);
        p.Finish();
        return (sink, p);
    }

    [Fact]
    public void Test3Mixed_Rdp_HorizontalScanFrom46_166_151_160()
    {
        var (sink, _) = Analyse("test3-mixed.binetflow");
        var e = Assert.Single(sink.OfType(EvidenceTypes.HorizontalPortScan), x => x.Port == 3389);
        Assert.Equal(Ip("46.166.151.160"), e.Attacker);
        Assert.StartsWith("Horizontal port scan to port 3389/tcp. From 46.166.151.160 to 10 unique destination IPs.", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Test4Malicious_Port81_HorizontalScanFrom192_168_2_12()
    {
        var (sink, _) = Analyse("test4-malicious.binetflow");
        var es = sink.OfType(EvidenceTypes.HorizontalPortScan).FindAll(x => x.Port == 81);
        Assert.NotEmpty(es);
        Assert.All(es, e => Assert.Equal(Ip("192.168.2.12"), e.Attacker));
        Assert.Contains("Horizontal port scan to port 81/tcp. From 192.168.2.12", es[0].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Test11Portscan_ScanFrom10_8_0_69()
    {
        var (sink, _) = Analyse("test11-portscan.binetflow");
        var e = Assert.Single(sink.OfType(EvidenceTypes.VerticalPortScan));
        Assert.Equal(Ip("10.8.0.69"), e.Attacker);
        Assert.Equal(Ip("14.1.11.113"), e.Victim);
        Assert.Contains(sink.OfType(EvidenceTypes.IcmpAddressScan), x => x.Attacker == Ip("10.8.0.69"));
    }

    [Fact]
    public void Test2Malicious_LongConnectionFrom10_8_0_69()
    {
        var (sink, p) = Analyse("test2-malicious.binetflow");
        Assert.Contains(sink.OfType(EvidenceTypes.LongConnection), x => x.Attacker == Ip("10.8.0.69"));
        Assert.True(p.Stats.Flows > 6000);
        Assert.Contains(p.Tuples, t => t.Profile == Ip("10.8.0.69") && t.Letters.Length > 10);
    }

    [Fact]
    public void Test5Mixed_TabSeparated_LongConnection()
    {
        var (sink, _) = Analyse("test5-mixed.binetflow");
        Assert.NotEmpty(sink.OfType(EvidenceTypes.LongConnection));
    }

    [Fact]
    public void PortScansHorizontalConnLog_Port80ScanFrom10_0_2_112()
    {
        var sink = AnalyseConnLog("port-scans/horizontal/conn.log");
        Assert.Contains(sink.OfType(EvidenceTypes.HorizontalPortScan), e => e.Port == 80 && e.Attacker == Ip("10.0.2.112"));
    }

    [Fact]
    public void PortScansVerticalConnLog_ScanOf45_33_32_156From192_168_1_9()
    {
        var sink = AnalyseConnLog("port-scans/vertical/conn.log");
        Assert.Contains(sink.OfType(EvidenceTypes.VerticalPortScan), e => e.Victim == Ip("45.33.32.156") && e.Attacker == Ip("192.168.1.9"));
    }

    private static RecordingSink AnalyseConnLog(string dataset)
    {
        string path = Requires.Dataset(dataset);
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink);
        foreach (var f in ZeekConnFile.Read(path)) p.OnEvent(f);
        p.Finish();
        return sink;
    }
}

using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class WhitelistTests
{
    private static Whitelist Parse(string text) => Whitelist.Parse(new StringReader(text), "whitelist.conf");

    [Fact]
    public void Parse_SlipsFormat_AllTypesLoaded()
    {
        var w = Parse("""
            ; a comment
            "IoCType","IoCValue","Direction","IgnoreType"
            ip,1.2.3.4,both,alerts
            "ip","10.0.0.0/8","src","flows"
            domain,Example.COM,dst,both
            mac,B1:B1:B1:C1:C2:C3,src,alerts
            organization,google,both,alerts
            """);
        Assert.Empty(w.Warnings);
        Assert.Equal(5, w.Count);
        Assert.True(w.IsWhitelisted(Ip("1.2.3.4"), WhitelistDirection.Dst, WhitelistIgnore.Alerts));
        Assert.False(w.IsWhitelisted(Ip("1.2.3.4"), WhitelistDirection.Dst, WhitelistIgnore.Flows));
        Assert.True(w.IsWhitelisted(Ip("10.20.30.40"), WhitelistDirection.Src, WhitelistIgnore.Flows));
        Assert.False(w.IsWhitelisted(Ip("10.20.30.40"), WhitelistDirection.Dst, WhitelistIgnore.Flows));
        Assert.False(w.IsWhitelisted(Ip("11.0.0.1"), WhitelistDirection.Src, WhitelistIgnore.Flows));
        Assert.NotNull(w.MatchDomain("www.example.com"));
        Assert.Null(w.MatchDomain("notexample.com"));
        Assert.NotNull(w.MatchDomain("mail.google.com"));
    }

    [Fact]
    public void Parse_BadLines_WarningsNameFileAndLine()
    {
        var w = Parse("""
            ip,1.2.3.4,both,alerts
            ip,not-an-ip,both,alerts
            host,example.com,both,alerts
            ip,1.2.3.5,sideways,alerts
            ip,1.2.3.6,both,everything
            ip,1.2.3.7
            organization,initech,both,alerts
            mac,zz:zz,both,alerts
            domain,exa mple.com,both,alerts
            ip,1.2.3.8,both,flows
            """);
        Assert.Equal(2, w.Count);
        Assert.Equal(8, w.Warnings.Count);
        Assert.StartsWith("whitelist.conf:2: ", w.Warnings[0], StringComparison.Ordinal);
        Assert.Contains("not-an-ip", w.Warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("whitelist.conf:3: unknown IoCType 'host'", w.Warnings[1], StringComparison.Ordinal);
        Assert.StartsWith("whitelist.conf:4: unknown Direction", w.Warnings[2], StringComparison.Ordinal);
        Assert.StartsWith("whitelist.conf:5: unknown IgnoreType", w.Warnings[3], StringComparison.Ordinal);
        Assert.StartsWith("whitelist.conf:6: expected 4 columns", w.Warnings[4], StringComparison.Ordinal);
        Assert.StartsWith("whitelist.conf:7: unknown organization", w.Warnings[5], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HashLine_DisablesEarlierEntryAndIsNotAWarning()
    {
        var w = Parse("ip,1.2.3.4,both,alerts\n#ip,1.2.3.4,both,alerts\n# some words, not an entry\n#domain,x.com,both,flows\n");
        Assert.Equal(0, w.Count);
        Assert.Empty(w.Warnings);
    }

    [Fact]
    public void Parse_SameValueTwice_LastLineWins()
    {
        var w = Parse("ip,1.2.3.4,src,alerts\nip,1.2.3.4,dst,flows\n");
        Assert.Equal(1, w.Count);
        Assert.True(w.IsWhitelisted(Ip("1.2.3.4"), WhitelistDirection.Dst, WhitelistIgnore.Flows));
        Assert.False(w.IsWhitelisted(Ip("1.2.3.4"), WhitelistDirection.Src, WhitelistIgnore.Alerts));
    }

    [Fact]
    public void Parse_OverlongLine_WarnedNotLoaded()
    {
        var w = Parse("domain," + new string('a', 10_000) + ".com,both,alerts\nip,1.2.3.4,both,alerts\n");
        Assert.Equal(1, w.Count);
        Assert.StartsWith("whitelist.conf:1: line longer", Assert.Single(w.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_FileNotFoundNamingPath()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "whitelist.conf");
        var ex = Assert.Throws<FileNotFoundException>(() => Whitelist.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ShippedSlipsStyleFile_ParsesWithoutWarnings()
    {
        string path = Path.Combine(Path.GetTempPath(), "wl-" + Guid.NewGuid().ToString("N") + ".conf");
        File.WriteAllText(path, ";;;; header\n\"IoCType\",\"IoCValue\",\"Direction\",\"IgnoreType\"\n;mac,b1:b1:b1:c1:c2:c3,both,alerts\ndomain,ipinfo.io,both,alerts\nip,34.117.59.81,both,alerts\norganization,facebook,both,alerts\n");
        try
        {
            var w = Whitelist.Load(path);
            Assert.Empty(w.Warnings);
            Assert.Equal(3, w.Count);
            Assert.Equal(path, w.Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Pipeline_DomainWhitelistedForFlows_FlowsToResolvedIpIgnored()
    {
        var w = Parse("domain,example.com,dst,flows\n");
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, whitelist: w);
        p.OnEvent(new DnsRecord { Source = Ip("10.0.0.2"), Destination = Ip("10.0.0.1"), Timestamp = 999, Query = "cdn.example.com", Answers = ["cdn.example.net", "93.184.216.34"] });
        p.OnEvent(Flow("10.0.0.2", "93.184.216.34", 443, 1000, established: true));
        p.OnEvent(Flow("10.0.0.2", "93.184.216.35", 443, 1001, established: true));
        Assert.Equal(1, p.Stats.WhitelistedFlows);
        Assert.Equal(1, p.Stats.Flows);
    }

    [Fact]
    public void Pipeline_DomainWhitelistedForFlows_CaptureAnswersKeptAsAddresses_FlowsToThemIgnored()
    {
        var w = Parse("domain,example.com,dst,flows\n");
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, whitelist: w);
        p.OnEvent(new DnsRecord { Source = Ip("10.0.0.2"), Destination = Ip("10.0.0.1"), Timestamp = 999, Query = "cdn.example.com", Answers = new AddressAnswers([Ip("93.184.216.34")]) });
        p.OnEvent(new DnsRecord { Source = Ip("10.0.0.2"), Destination = Ip("10.0.0.1"), Timestamp = 999, Query = "www.other.test", Answers = new AddressAnswers([Ip("93.184.216.36")]) });
        p.OnEvent(Flow("10.0.0.2", "93.184.216.34", 443, 1000, established: true));
        p.OnEvent(Flow("10.0.0.2", "93.184.216.35", 443, 1001, established: true));
        p.OnEvent(Flow("10.0.0.2", "93.184.216.36", 443, 1002, established: true));
        Assert.Equal(1, p.Stats.WhitelistedFlows);
        Assert.Equal(2, p.Stats.Flows);
    }

    [Fact]
    public void Pipeline_CnameIntoWhitelistedDomain_AnswersWhitelisted()
    {
        var w = Parse("domain,akamai.example,both,flows\n");
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, whitelist: w);
        p.OnEvent(new DnsRecord { Source = Ip("10.0.0.2"), Destination = Ip("10.0.0.1"), Timestamp = 999, Query = "www.shop.test", Answers = ["e1.akamai.example", "198.51.100.9"] });
        p.OnEvent(Flow("10.0.0.2", "198.51.100.9", 443, 1000, established: true));
        Assert.Equal(1, p.Stats.WhitelistedFlows);
    }

    [Fact]
    public void Pipeline_AttackerWhitelistedForAlerts_ScanEvidenceDropped()
    {
        var w = Parse("ip,192.168.2.16,src,alerts\n");
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, whitelist: w);
        for (int i = 1; i <= 10; i++) p.OnEvent(Flow("192.168.2.16", $"203.0.113.{i}", 23, 1000 + i));
        Assert.Empty(sink.Evidence);
        Assert.Equal(1, p.Stats.WhitelistedEvidence);
        Assert.Equal(10, p.Stats.Flows);
    }

    [Fact]
    public void Pipeline_MacWhitelistedForFlows_FlowsFromThatMacIgnored()
    {
        var w = Parse("mac,aa-bb-cc-dd-ee-ff,src,flows\n");
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, whitelist: w);
        var f = Flow("10.0.0.2", "10.0.0.3", 80, 1000);
        f.SourceMac = "AA:BB:CC:DD:EE:FF";
        p.OnEvent(f);
        Assert.Equal(1, p.Stats.WhitelistedFlows);
    }
}

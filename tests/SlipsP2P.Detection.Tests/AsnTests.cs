using SlipsP2P.Detection.Detectors.ThreatIntelligence;
using SlipsP2P.Detection.ThreatIntelligence;
using static SlipsP2P.Detection.Tests.HeuristicConnectionTests;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class AsnTests
{
    // iptoasn.com's layout: range_start, range_end, AS_number, country_code, AS_description.
    private const string Table =
        "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n" +
        "1.0.4.0\t1.0.7.255\t38803\tAU\tWPL-AS-AP Wirefreebroadband Pty Ltd\n" +
        "1.0.8.0\t1.0.15.255\t0\tNone\tNot routed\n" +
        "185.215.113.0\t185.215.113.255\t39770\tSC\tELITETEAM-AS\n" +
        "2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64500\tZZ\tDOC\n";

    private static AsnTable Build(string text, List<string>? warnings = null)
    {
        var b = new AsnTable.Builder();
        b.Read(new StringReader(text), "ip2asn.tsv", warnings ?? new List<string>());
        return b.Build();
    }

    [Theory]
    [InlineData("1.0.0.0", 13335u)]
    [InlineData("1.0.0.255", 13335u)]
    [InlineData("1.0.5.9", 38803u)]
    [InlineData("185.215.113.66", 39770u)]
    [InlineData("2001:db8::1", 64500u)]
    public void Lookup_InsideRange_ItsAsn(string ip, uint asn)
    {
        Assert.True(Build(Table).TryLookup(Ip(ip), out uint found));
        Assert.Equal(asn, found);
    }

    [Theory]
    [InlineData("1.0.1.0")] // gap between ranges
    [InlineData("0.255.255.255")] // before the first
    [InlineData("1.0.9.1")] // AS 0: not routed
    [InlineData("200.1.1.1")] // after the last IPv4
    public void Lookup_OutsideOrUnrouted_NotFound(string ip) => Assert.False(Build(Table).TryLookup(Ip(ip), out _));

    [Fact]
    public void Read_BadLines_OneWarningNamingFirst()
    {
        var warnings = new List<string>();
        var table = Build("1.0.0.0\t1.0.0.255\t13335\tUS\tX\nnot a line\n2.0.0.0\t1.0.0.0\t5\tUS\tbackwards\n", warnings);
        Assert.Equal(1, table.Count);
        var w = Assert.Single(warnings);
        Assert.StartsWith("ip2asn.tsv: 2 bad lines in the IP-to-ASN table skipped (first: line 2:", w, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OverlappingRanges_LaterStartOwnsTheOverlap()
    {
        var t = Build("10.0.0.0\t10.0.0.255\t1\tZZ\ta\n10.0.0.128\t10.0.1.255\t2\tZZ\tb\n");
        Assert.True(t.TryLookup(Ip("10.0.0.127"), out uint a));
        Assert.Equal(1u, a);
        Assert.True(t.TryLookup(Ip("10.0.0.200"), out uint b));
        Assert.Equal(2u, b);
    }

    [Fact]
    public void Detector_FlowToIpInListedAsn_BlacklistedAsnEvidence()
    {
        var store = new IocStore();
        IocFileReader.Read(new StringReader("AS39770, high, ELITETEAM bulletproof hosting\n"), "own.csv", store, ThreatLevel.Medium, "own.csv", false, new List<string>());
        store.AsnTable = Build(Table);
        var sink = Run(new ThreatIntelligenceDetector(new IocSource(store)), null,
            Flow("10.0.2.15", "185.215.113.66", 443, 100, established: true), Flow("10.0.2.15", "185.215.113.67", 443, 101, established: true),
            Flow("10.0.2.15", "1.0.0.1", 443, 102, established: true));
        var e = Assert.Single(sink.OfType(EvidenceTypes.ThreatIntelligenceBlacklistedAsn));
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
        Assert.Equal(0.8, e.Confidence);
        Assert.Equal(Ip("185.215.113.66"), e.Victim);
        Assert.Contains("AS39770", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Detector_AsnListedButNoTable_NoEvidence()
    {
        var store = new IocStore();
        store.AddAsn("AS39770", new IocInfo("own.csv", ThreatLevel.High, "x"));
        var sink = Run(new ThreatIntelligenceDetector(new IocSource(store)), null, Flow("10.0.2.15", "185.215.113.66", 443, 100, established: true));
        Assert.Empty(sink.Evidence);
    }

    [Fact]
    public void Loader_TableInConfigAndFeedTaggedIp2asn_BothRead()
    {
        string dir = Path.Combine(Path.GetTempPath(), "asn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "cache"));
        try
        {
            File.WriteAllText(Path.Combine(dir, "own.csv"), "AS64500, high, doc\nAS39770, high, elite\n");
            File.WriteAllText(Path.Combine(dir, "ip2asn-v4.tsv"), "185.215.113.0\t185.215.113.255\t39770\tSC\tELITETEAM-AS\n");
            var feed = new Feed("http://127.0.0.1:1/ip2asn-v6.tsv", ThreatLevel.Info, "['ip2asn']");
            File.WriteAllText(Path.Combine(dir, "cache", "feeds.lst"), "http://127.0.0.1:1/ip2asn-v6.tsv, info, ['ip2asn']\n");
            File.WriteAllText(FeedUpdater.CachePath(Path.Combine(dir, "cache"), feed), "2001:db8::\t2001:db8::ffff\t64500\tZZ\tDOC\n");
            var options = new ThreatIntelligenceOptions { LocalDirectory = dir, FeedsFile = Path.Combine(dir, "cache", "feeds.lst"), CacheDirectory = Path.Combine(dir, "cache"), AsnTables = Path.Combine(dir, "ip2asn-v4.tsv") + ",missing.tsv" };
            var warnings = new List<string>();
            var store = ThreatIntelligenceLoader.Load(options, p => p, warnings);
            Assert.Empty(warnings);
            Assert.Equal(2, store.AsnTable.Count);
            Assert.True(store.AsnTable.TryLookup(Ip("2001:db8::5"), out uint v6));
            Assert.Equal(64500u, v6);
            Assert.Equal(0, store.IpCount); // the table feed is not read as indicators
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

using SlipsP2P.Detection.Detectors;
using SlipsP2P.Detection.Detectors.HttpsAnomaly;
using SlipsP2P.Detection.Detectors.PortScans;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

/// <summary>The shortcuts of the detection fast path (issue 5) answer what the long way answered.</summary>
public sealed class FastPathTests
{
    [Fact]
    public void VerticalScan_FirstPortRepeatedBeforeOthers_CountsDistinctPortsOnly()
    {
        // The first port of a target is kept without a set: repeats of it must not count, nor must it count twice
        // once the set is made.
        var sink = new RecordingSink();
        var ctx = new DetectionContext(new AnalysisOptions(), new TimeWindows(3600), sink.OnEvidence);
        var scans = new PortScanDetector();
        double ts = 1_700_000_000;
        for (int i = 0; i < 5; i++) scans.OnFlow(Flow("10.0.0.9", "10.0.0.1", 70, ts++), ctx);
        for (ushort port = 1; port <= 9; port++) scans.OnFlow(Flow("10.0.0.9", "10.0.0.1", port, ts++), ctx);
        var e = Assert.Single(sink.Evidence);
        Assert.Equal(EvidenceTypes.VerticalPortScan, e.Type);
        Assert.Contains("Total 10 TCP ports were scanned", e.Description, StringComparison.Ordinal);
        scans.OnFlow(Flow("10.0.0.9", "10.0.0.1", 70, ts++), ctx);
        scans.OnFlow(Flow("10.0.0.9", "10.0.0.1", 3, ts), ctx);
        Assert.Single(sink.Evidence);
    }

    [Theory]
    [InlineData("example.com", "EXAMPLE.com", false)]
    [InlineData("example.com", "example.org", true)]
    public void HostBaseline_NameRepeatedInAnotherCase_NotNew(string first, string second, bool secondIsNew)
    {
        var host = new HostBaseline(Ip("10.0.0.1"), 0);
        Assert.True(host.AddServerName(first));
        Assert.Equal(secondIsNew, host.AddServerName(second));
        Assert.False(host.AddServerName(first));
        Assert.False(host.AddServerName(second));
        Assert.True(host.AddJa3("6734f37431670b3ab4292b8f60f29984"));
        Assert.False(host.AddJa3("6734F37431670B3AB4292B8F60F29984"));
    }

    [Fact]
    public void HostBaseline_NamesPastTheCap_NeverNewEvenWhenRepeated()
    {
        var host = new HostBaseline(Ip("10.0.0.1"), 0);
        int added = 0;
        for (int i = 0; i < 3000; i++)
        {
            if (host.AddServerName($"host{i}.example.com")) added++;
        }

        Assert.Equal(2048, added);
        Assert.False(host.AddServerName("late.example.com"));
        Assert.False(host.AddServerName("late.example.com"));
        Assert.False(host.AddServerName("host5.example.com"));
    }

    [Theory]
    [InlineData("ssh", "ssh", true)]
    [InlineData("SSH", "ssh", true)]
    [InlineData("dns,ssh", "ssh", true)]
    [InlineData("", "ssh", false)]
    [InlineData("ss", "ssh", false)]
    [InlineData("http", "ssh", false)]
    public void ContainsMemo_SameAsContainsIgnoringCase_AlsoWhenRepeated(string text, string word, bool expected)
    {
        var memo = new ContainsMemo(word);
        Assert.Equal(expected, memo.In(text));
        Assert.Equal(expected, memo.In(text));
        Assert.Equal(expected, memo.In(new string(text.AsSpan())));
        Assert.False(memo.In("x"));
        Assert.Equal(expected, memo.In(text));
    }
}

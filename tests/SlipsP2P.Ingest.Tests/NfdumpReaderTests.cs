using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

public sealed class NfdumpReaderTests
{
    [Fact]
    public void Run_Test1Nfdump_OneFlowPerBidirectionalRecord()
    {
        string nfdump = Requires.Tool("nfdump");
        string path = Requires.Dataset("test1-malicious.nfdump");
        // nfdump's own CSV with one-way records paired (-B) in time order.
        var (code, stdout, _) = Requires.Run(nfdump, $"-r {path} -B -O tstart -o csv", TimeSpan.FromSeconds(60));
        Assert.Equal(0, code);
        string[] lines = stdout.Split('\n');
        int summary = Array.IndexOf(lines, "Summary");
        // The summary counts one-way records; the paired flows are the data lines above it.
        long expected = lines.Take(summary).Skip(1).Count(l => l.Length > 0);
        Assert.True(expected < long.Parse(lines[summary + 2].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture));
        string[] first = lines[1].Split(',');
        using var source = new NfdumpSource(path);

        var flows = CollectingSink.RunAll(source).Events.Cast<FlowRecord>().ToList();

        Assert.Equal(0, source.Stats.Skipped);
        Assert.Equal(expected, flows.Count);
        Assert.Equal(IpAddr.Parse(first[3]), flows[0].Source);
        Assert.Equal(IpAddr.Parse(first[4]), flows[0].Destination);
        Assert.Equal(ushort.Parse(first[6], System.Globalization.CultureInfo.InvariantCulture), flows[0].DestinationPort);
        Assert.Equal(Protocol.Tcp, flows[0].Protocol);
        Assert.Equal(long.Parse(first[12], System.Globalization.CultureInfo.InvariantCulture), flows[0].SourceBytes);
        Assert.Equal(new DateTimeOffset(DateTime.ParseExact(first[0], "yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero).ToUnixTimeSeconds(), flows[0].Timestamp, 3);
        // The server's RST-ACK answers are folded into the client's SYN flows, not flows of their own from port 902.
        Assert.DoesNotContain(flows, f => f.SourcePort == 902);
        Assert.True(flows.Count(f => f.DestinationPort == 902 && f.DestinationPackets == 1) > 2000);
        for (int i = 1; i < flows.Count; i++) Assert.True(flows[i].Timestamp >= flows[i - 1].Timestamp, $"flow {i} out of time order");
    }

    [Fact]
    public void Run_NfdumpNotRunnable_ThrowsInstallMessageNamingTheFile()
    {
        string path = Requires.Dataset("test1-malicious.nfdump");
        using var source = new NfdumpSource(path, "/nonexistent/bin/nfdump");

        var e = Assert.Throws<InputException>(() => CollectingSink.RunAll(source));

        Assert.StartsWith(path + " is an nfdump file; install nfdump (apt-get install nfdump) to read it", e.Message, StringComparison.Ordinal);
    }
}

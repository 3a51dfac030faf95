using System.Globalization;
using System.Text.RegularExpressions;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Pcap;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

/// <summary>Collects every record a source emits.</summary>
internal sealed class PcapCollectingSink : IEventSink
{
    public List<NetEvent> Events { get; } = new();

    public IEnumerable<FlowRecord> Flows => Events.OfType<FlowRecord>();

    public void OnEvent(NetEvent record) => Events.Add(record);

    public static (PcapCollectingSink Sink, IngestStats Stats, string Kind) Run(string path, AnalysisOptions? options = null)
    {
        var sink = new PcapCollectingSink();
        using var source = new PcapSource(path, options ?? new AnalysisOptions());
        source.Run(sink, TestContext.Current.CancellationToken);
        return (sink, source.Stats, source.Kind);
    }
}

/// <summary>The real captures shipped with Slips, and a cross-check against tshark.</summary>
public sealed partial class PcapDatasetTests
{
    [Theory]
    [InlineData("benign.pcap")]
    [InlineData("ssh-bruteforce.pcap")]
    public void Run_SinkKeepingNoRecords_RecordObjectsReusedAndEveryRecordAsWhenKept(string sample)
    {
        // A sink that keeps no flow record lets the flow table reuse their objects: each record, as the sink sees it
        // when it comes, must be exactly the record a keeping sink gets (no value of an earlier flow left in it).
        string path = Path.Combine(Requires.RepoRoot, "samples", sample);
        var kept = new PcapCollectingSink();
        using (var source = new PcapSource(path, new AnalysisOptions())) source.Run(kept, TestContext.Current.CancellationToken);
        var reused = new SnapshotSink();
        using (var source = new PcapSource(path, new AnalysisOptions())) source.Run(reused, TestContext.Current.CancellationToken);

        Assert.Equal(kept.Events.ConvertAll(e => RecordText.Of([e])), reused.Texts);
        Assert.True(reused.FlowObjects < reused.Flows / 4, $"{reused.FlowObjects} objects for {reused.Flows} flows");
        Assert.Equal(kept.Flows.Count(), kept.Flows.Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void Run_Sample_SinkToldOfFlowRecordsAheadThroughTheCountingSink()
    {
        // The flow table's hints pass the capture's counting sink: the sweeps' flow records are hinted before they
        // come, and nothing hinted is lost or sent twice.
        var sink = new PrefetchRecordingSink();
        using (var source = new PcapSource(Path.Combine(Requires.RepoRoot, "samples", "benign.pcap"), new AnalysisOptions()))
        {
            source.Run(sink, TestContext.Current.CancellationToken);
        }

        int flows = sink.Events.OfType<FlowRecord>().Count();
        Assert.Equal(0, sink.Unsent);
        Assert.True(sink.Hinted.Count >= flows * 9 / 10, $"{sink.Hinted.Count} of {flows} flow records hinted");
        Assert.All(sink.Hinted, h => Assert.IsType<FlowRecord>(h.Record));
        Assert.Contains(sink.Hinted, h => h.Ahead >= 3);
        Assert.Equal(sink.Events.Count, sink.Events.Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void Run_IcmpPortscanCapture_EmitsIcmpEchoFlowsToManyHosts()
    {
        string path = Requires.Dataset("test12-icmp-portscan.pcap");
        var (sink, stats, kind) = PcapCollectingSink.Run(path);
        var scanner = IpAddr.Parse("192.168.1.109");
        var echo = sink.Flows.Where(f => f.Protocol == Protocol.Icmp && f.Source == scanner && f.SourcePort == 8 && f.DestinationPort == 0).ToList();
        Assert.Equal("pcap", kind);
        Assert.True(echo.Select(f => f.Destination).Distinct().Count() >= 5, $"only {echo.Count} ICMP echo flows from {scanner}");
        Assert.All(echo, f => Assert.StartsWith("1:", f.CommunityId, StringComparison.Ordinal));
        Assert.Equal(0, stats.Skipped);
        Assert.Equal(stats.Flows, sink.Flows.Count());
    }

    [Fact]
    public void Run_ArpCapture_EmitsArpRecords()
    {
        string path = Requires.Dataset("test8-malicious.pcap");
        var (sink, stats, _) = PcapCollectingSink.Run(path);
        var arps = sink.Events.OfType<ArpRecord>().ToList();
        Assert.NotEmpty(arps);
        Assert.All(arps, a => Assert.Matches("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", a.SourceMac));
        Assert.All(arps, a => Assert.True(a.Operation is 1 or 2));
        Assert.True(stats.Packets > 0);
    }

    [Fact]
    public void Run_SshBruteforceCapture_EmitsManyConnectionsToPort902()
    {
        string path = Requires.Dataset("test19-malicious-ssh/malicious-ssh-bruteforce.pcap");
        var (sink, _, _) = PcapCollectingSink.Run(path);
        var attacker = IpAddr.Parse("147.32.80.40");
        var victim = IpAddr.Parse("147.32.80.37");
        var flows = sink.Flows.Where(f => f.Source == attacker && f.Destination == victim && f.DestinationPort == 902 && f.Protocol == Protocol.Tcp).ToList();
        Assert.True(flows.Count >= 20, $"only {flows.Count} connections");
        Assert.Contains(flows, f => f.State == ConnState.SF && f.History.StartsWith("ShAD", StringComparison.Ordinal));
        var ssh = sink.Events.OfType<SshRecord>().Where(s => s.DestinationPort == 902).ToList();
        Assert.NotEmpty(ssh);
        Assert.All(ssh, s => Assert.StartsWith("SSH-", s.Server.Length > 0 ? s.Server : s.Client, StringComparison.Ordinal));
        Assert.All(ssh, s => Assert.Contains(flows, f => f.Uid == s.Uid));
    }

    [Fact]
    public void Run_SameFileTwice_SameUidsAndOrder()
    {
        string path = Requires.Dataset("test7-malicious.pcap");
        var first = PcapCollectingSink.Run(path).Sink.Events.Select(e => e.GetType().Name + e.Uid + e.Timestamp.ToString("R", CultureInfo.InvariantCulture)).ToList();
        var second = PcapCollectingSink.Run(path).Sink.Events.Select(e => e.GetType().Name + e.Uid + e.Timestamp.ToString("R", CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(first, second);
        Assert.All(PcapCollectingSink.Run(path).Sink.Flows, f => Assert.Matches("^C[0-9A-Za-z]{17}$", f.Uid));
    }

    [Fact]
    public void FromStream_NonSeekableStream_SameRecordsAsFile()
    {
        string path = Requires.Dataset("test7-malicious.pcap");
        var fromFile = PcapCollectingSink.Run(path).Sink.Flows.Select(f => (f.Uid, f.TotalBytes, f.TotalPackets)).ToList();
        var sink = new PcapCollectingSink();
        using (var stream = new NonSeekableStream(File.OpenRead(path)))
        using (var source = PcapSource.FromStream(stream, new AnalysisOptions()))
        {
            source.Run(sink, TestContext.Current.CancellationToken);
            Assert.Equal("-", source.Name);
        }

        Assert.Equal(fromFile, sink.Flows.Select(f => (f.Uid, f.TotalBytes, f.TotalPackets)).ToList());
    }

    [Fact]
    public void Run_CcCaptures_ProduceDnsAndTlsRecordsLinkedToFlows()
    {
        string dir = Requires.Dataset("test-cc");
        int dns = 0, tls = 0;
        foreach (string path in Directory.GetFiles(dir, "*.pcap").Order(StringComparer.Ordinal))
        {
            var (sink, stats, _) = PcapCollectingSink.Run(path);
            var uids = sink.Flows.Select(f => f.Uid).ToHashSet(StringComparer.Ordinal);
            foreach (var e in sink.Events.Where(e => e is DnsRecord or TlsRecord or HttpRecord or SshRecord))
            {
                Assert.Contains(e.Uid, uids);
            }

            dns += sink.Events.OfType<DnsRecord>().Count();
            tls += sink.Events.OfType<TlsRecord>().Count();
            Assert.True(stats.Packets > 0);
        }

        Assert.True(dns + tls > 0, "no DNS or TLS records in the C&C captures");
    }

    [Fact]
    public void Run_Captures_HttpAndTlsRecordsNumberedAndTheirFlowsCarryTheService()
    {
        // ServiceMismatchDetector relies on it: a record under a uid the node numbered comes with a flow whose service is
        // the record's ("http" for HTTP, "ssl" for TLS), so that flow never waits for it.
        int http = 0, tls = 0;
        // The datasets' captures (TLS), and the samples the project's generator made (HTTP and TLS).
        List<string> paths = [.. Captures.Select(row => Requires.Dataset(row.Data)),
            Path.Combine(Requires.RepoRoot, "samples", "benign.pcap"), Path.Combine(Requires.RepoRoot, "samples", "scan.pcap")];
        foreach (string name in paths)
        {
            var (sink, _, _) = PcapCollectingSink.Run(name);
            var services = sink.Flows.ToDictionary(f => f.Uid, f => f.Service, StringComparer.Ordinal);
            foreach (var e in sink.Events.Where(e => e is HttpRecord or TlsRecord))
            {
                Assert.True(e.TryGetPackedUid(out var uid) && uid.TryGetNumber(out _), $"{name}: {e.Uid} not numbered");
                Assert.Equal(e is HttpRecord ? "http" : "ssl", services[e.Uid]);
                if (e is HttpRecord) http++;
                else tls++;
            }
        }

        Assert.True(http > 0 && tls > 0, $"{http} HTTP and {tls} TLS records in the captures");
    }

    public static TheoryData<string> Captures => new()
    {
        "test12-icmp-portscan.pcap",
        "test8-malicious.pcap",
        "test7-malicious.pcap",
        "test19-malicious-ssh/malicious-ssh-bruteforce.pcap",
        "test-cc/test-cc-capture-1.pcap",
        "test-cc/test-cc-capture-2.pcap",
    };

    /// <summary>
    /// Every TCP conversation tshark reports appears in our flows with the same packet count per direction; for
    /// connections that completed (SF) the IP-level bytes per direction match too. tshark's conv table counts frame
    /// bytes (link header and Ethernet padding included), so the IP bytes are taken from tshark's own ip.len /
    /// ipv6.plen fields per packet instead of guessing link overheads. tshark keeps one conversation per 4-tuple
    /// while Zeek (and we) start a new connection when a port is reused, so our flows are summed per 4-tuple.
    /// </summary>
    [Theory]
    [MemberData(nameof(Captures))]
    public void Run_Capture_TcpConnectionsMatchTshark(string capture)
    {
        string path = Requires.Dataset(capture);
        string tshark = Requires.Tool("tshark");
        var (sink, _, _) = PcapCollectingSink.Run(path);

        var conv = Requires.Run(tshark, $"-n -r \"{path}\" -q -z conv,tcp", TimeSpan.FromMinutes(2));
        Assert.True(conv.ExitCode == 0, conv.Stderr);
        var fields = Requires.Run(tshark, $"-n -r \"{path}\" -Y tcp -T fields -E separator=, -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e ip.len -e ipv6.plen", TimeSpan.FromMinutes(2));
        Assert.True(fields.ExitCode == 0, fields.Stderr);

        // IP bytes per direction from tshark, keyed "src:sport>dst:dport".
        var ipBytes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in fields.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(',');
            if (f.Length < 8) continue;
            string src = f[0].Length > 0 ? f[0] : f[1];
            string dst = f[3].Length > 0 ? f[3] : f[4];
            // Tunnelled packets list several addresses: the innermost is last; skip them (rare in these captures).
            if (src.Contains(';', StringComparison.Ordinal) || f[6].Contains(';', StringComparison.Ordinal)) continue;
            long len = f[6].Length > 0 ? long.Parse(f[6], CultureInfo.InvariantCulture) : 40 + long.Parse(f[7], CultureInfo.InvariantCulture);
            string k = $"{Norm(src)}:{f[2]}>{Norm(dst)}:{f[5]}";
            ipBytes[k] = ipBytes.GetValueOrDefault(k) + len;
        }

        // Our flows summed per directed 4-tuple.
        var ours = new Dictionary<string, (long Packets, long IpBytes, bool AllSf)>(StringComparer.Ordinal);
        foreach (FlowRecord f in sink.Flows.Where(f => f.Protocol == Protocol.Tcp))
        {
            Add($"{f.Source}:{f.SourcePort}>{f.Destination}:{f.DestinationPort}", f.SourcePackets, f.SourceIpBytes, f.State == ConnState.SF);
            Add($"{f.Destination}:{f.DestinationPort}>{f.Source}:{f.SourcePort}", f.DestinationPackets, f.DestinationIpBytes, f.State == ConnState.SF);
        }

        void Add(string k, long packets, long bytes, bool sf)
        {
            var v = ours.GetValueOrDefault(k, (0, 0, true));
            ours[k] = (v.Packets + packets, v.IpBytes + bytes, v.AllSf && sf);
        }

        // tshark too may list a reused 4-tuple more than once (one line per tcp.stream): sum its lines first.
        var theirs = new Dictionary<string, long>(StringComparer.Ordinal);
        var pairs = new List<(string A, string B)>();
        foreach (Match m in ConvLine().Matches(conv.Stdout))
        {
            string a = $"{Norm(m.Groups["a"].Value)}:{m.Groups["ap"].Value}";
            string b = $"{Norm(m.Groups["b"].Value)}:{m.Groups["bp"].Value}";
            // The "<-" column counts frames from B to A, the "->" column frames from A to B.
            theirs[$"{b}>{a}"] = theirs.GetValueOrDefault($"{b}>{a}") + long.Parse(m.Groups["lf"].Value, CultureInfo.InvariantCulture);
            theirs[$"{a}>{b}"] = theirs.GetValueOrDefault($"{a}>{b}") + long.Parse(m.Groups["rf"].Value, CultureInfo.InvariantCulture);
            if (!pairs.Contains((a, b))) pairs.Add((a, b));
        }

        int compared = 0;
        foreach (var (a, b) in pairs)
        {
            var ab = ours.GetValueOrDefault($"{a}>{b}");
            var ba = ours.GetValueOrDefault($"{b}>{a}");
            long aToB = theirs[$"{a}>{b}"];
            long bToA = theirs[$"{b}>{a}"];
            Assert.True(ab.Packets + ba.Packets > 0, $"{capture}: tshark conversation {a} <-> {b} has no flow");
            Assert.True(aToB == ab.Packets, $"{capture}: {a} -> {b}: tshark {aToB} packets, ours {ab.Packets}");
            Assert.True(bToA == ba.Packets, $"{capture}: {b} -> {a}: tshark {bToA} packets, ours {ba.Packets}");
            if (ab.AllSf && ba.AllSf)
            {
                Assert.Equal(ipBytes.GetValueOrDefault($"{a}>{b}"), ab.IpBytes);
                Assert.Equal(ipBytes.GetValueOrDefault($"{b}>{a}"), ba.IpBytes);
            }

            compared++;
        }

        Assert.True(compared > 0 || !sink.Flows.Any(f => f.Protocol == Protocol.Tcp), $"{capture}: tshark listed no TCP conversation");
    }

    /// <summary>Every TCP, UDP and ICMP flow's Community ID is one that tshark's own communityid post-dissector computes for the capture.</summary>
    [Theory]
    [MemberData(nameof(Captures))]
    public void Run_Capture_CommunityIdsMatchTshark(string capture)
    {
        string path = Requires.Dataset(capture);
        string tshark = Requires.Tool("tshark");
        var (sink, _, _) = PcapCollectingSink.Run(path);
        var result = Requires.Run(tshark, $"-n -r \"{path}\" --enable-protocol communityid -T fields -e communityid", TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Stderr);
        var theirs = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (theirs.Count == 0) Requires.Missing("this tshark has no communityid post-dissector");
        var flows = sink.Flows.Where(f => f.Protocol is Protocol.Tcp or Protocol.Udp or Protocol.Icmp or Protocol.Icmp6).ToList();
        Assert.NotEmpty(flows);
        Assert.All(flows, f => Assert.True(theirs.Contains(f.CommunityId), $"{capture}: {f.Source}:{f.SourcePort} -> {f.Destination}:{f.DestinationPort} {f.Protocol}: {f.CommunityId} not computed by tshark"));
    }

    private static string Norm(string address) => IpAddr.TryParse(address, out var ip) ? ip.ToString() : address;

    [GeneratedRegex(@"^(?<a>\S+):(?<ap>\d+)\s+<->\s+(?<b>\S+):(?<bp>\d+)\s+(?<lf>\d+)\s+[\d,]+\s+\S+\s+(?<rf>\d+)\s+[\d,]+\s+\S+\s+\d+\s+[\d,]+\s+\S+", RegexOptions.Multiline)]
    private static partial Regex ConvLine();

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 1000));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

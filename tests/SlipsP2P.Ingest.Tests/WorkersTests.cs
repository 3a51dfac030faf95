using SlipsP2P.Core;
using SlipsP2P.Ingest.Pcap;
using SlipsP2P.Ingest.Synthetic;
using SlipsP2P.Ingest.Workers;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// Capture analysis split over flow-table workers (issue 5, --workers N): the symmetric hash, and the same records
/// in the same order for any worker count on the samples, a Slips dataset capture and a generated capture.
/// </summary>
public sealed class WorkersTests
{
    [Fact]
    public void Compute_ReplyDirection_SameHashIpv4AndIpv6()
    {
        var rng = new Random(7);
        for (int i = 0; i < 10_000; i++)
        {
            IpAddr a = i % 2 == 0 ? IpAddr.FromV4((uint)rng.Next()) : new IpAddr((ulong)rng.NextInt64(), (ulong)rng.NextInt64());
            IpAddr b = i % 2 == 0 ? IpAddr.FromV4((uint)rng.Next()) : new IpAddr((ulong)rng.NextInt64(), (ulong)rng.NextInt64());
            ushort pa = (ushort)rng.Next(65536);
            ushort pb = (ushort)rng.Next(65536);
            byte proto = (byte)(i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : 1);
            Assert.Equal(SymmetricFlowHash.Compute(a, pa, b, pb, proto), SymmetricFlowHash.Compute(b, pb, a, pa, proto));
        }
    }

    [Fact]
    public void Compute_ChangedPortAddressOrProtocol_DifferentHash()
    {
        var a = IpAddr.Parse("10.0.0.1");
        var b = IpAddr.Parse("10.0.0.2");
        uint h = SymmetricFlowHash.Compute(a, 40000, b, 80, 6);
        Assert.NotEqual(h, SymmetricFlowHash.Compute(a, 40001, b, 80, 6));
        Assert.NotEqual(h, SymmetricFlowHash.Compute(a, 40000, IpAddr.Parse("10.0.0.3"), 80, 6));
        Assert.NotEqual(h, SymmetricFlowHash.Compute(a, 40000, b, 80, 17));
        // Same endpoints both sides (a host talking to itself on one port) must not collapse to a constant.
        Assert.NotEqual(SymmetricFlowHash.Compute(a, 1, a, 1, 6), SymmetricFlowHash.Compute(b, 1, b, 1, 6));
        var v6 = IpAddr.Parse("fd77::20");
        Assert.Equal(SymmetricFlowHash.Compute(v6, 443, a, 5555, 6), SymmetricFlowHash.Compute(a, 5555, v6, 443, 6));
        Assert.NotEqual(SymmetricFlowHash.Compute(v6, 443, a, 5555, 6), SymmetricFlowHash.Compute(IpAddr.Parse("fd77::21"), 443, a, 5555, 6));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Partition_ScannerTuples_SpreadEvenlyOverWorkers(int workers)
    {
        // One scanner, many ports of one victim: the tuples differ only in a port, the case a weak hash clusters.
        var counts = new int[workers];
        var scanner = IpAddr.Parse("10.77.0.5");
        var victim = IpAddr.Parse("10.77.1.10");
        const int Tuples = 12_000;
        for (int port = 1; port <= Tuples; port++)
        {
            counts[SymmetricFlowHash.Partition(SymmetricFlowHash.Compute(scanner, 51234, victim, (ushort)port, 6), workers)]++;
        }

        foreach (int c in counts) Assert.InRange(c, (Tuples / workers) * 0.9, (Tuples / workers) * 1.1);
    }

    [Fact]
    public void Partition_BadWorkerCount_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SymmetricFlowHash.Partition(1, 0));
        Assert.Equal(0, SymmetricFlowHash.Partition(uint.MaxValue, 1));
        Assert.Equal(2, SymmetricFlowHash.Partition(uint.MaxValue, 3));
    }

    public static TheoryData<string> Samples => new() { "scan.pcap", "ssh-bruteforce.pcap", "benign.pcap" };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Run_Sample_SameRecordsForOneTwoAndThreeWorkers(string sample)
    {
        string path = Path.Combine(Requires.RepoRoot, "samples", sample);
        AssertSameForWorkerCounts(() => new PcapSource(path, new AnalysisOptions()), 2, 3);
    }

    [Theory]
    [InlineData("test7-malicious.pcap")]
    [InlineData("test8-malicious.pcap")]
    [InlineData("test12-icmp-portscan.pcap")]
    public void Run_SlipsDatasetCapture_SameRecordsForOneTwoAndThreeWorkers(string dataset)
    {
        string path = Requires.Dataset(dataset);
        AssertSameForWorkerCounts(() => new PcapSource(path, new AnalysisOptions()), 2, 3);
    }

    [Fact]
    public void Run_GeneratedCapture_SameRecordsForOneToFourWorkersAndSeven()
    {
        byte[] pcap = Generate(60_000);
        AssertSameForWorkerCounts(() => PcapSource.FromStream(new MemoryStream(pcap, writable: false), new AnalysisOptions(), "generated"), 2, 3, 4, 7);
    }

    [Fact]
    public void Run_ShortTimeouts_SameRecordsWhenSweepsFinishFlowsMidCapture()
    {
        // Timeouts of seconds: most flows finish at sweeps inside the capture, not at the final flush.
        byte[] pcap = Generate(30_000);
        static AnalysisOptions Short() => new() { TcpInactivityTimeout = 2, UdpInactivityTimeout = 1, IcmpInactivityTimeout = 1 };
        AssertSameForWorkerCounts(() => PcapSource.FromStream(new MemoryStream(pcap, writable: false), Short(), "generated"), 2, 3);
    }

    [Fact]
    public void Run_WorkersFromOptions_UsesThemAndCountsFlows()
    {
        byte[] pcap = Generate(20_000);
        var one = Collect(PcapSource.FromStream(new MemoryStream(pcap, writable: false), new AnalysisOptions(), "generated"));
        var two = Collect(PcapSource.FromStream(new MemoryStream(pcap, writable: false), new AnalysisOptions { Workers = 2 }, "generated"));
        Assert.Equal(one.Text, two.Text);
        StatsAssert.SameCounts(one.Stats, two.Stats);
        Assert.True(two.Stats.Flows > 100, $"{two.Stats.Flows} flows");
    }

    [Fact]
    public void Run_TruncatedCapture_SameRecordsAndMessageWithWorkers()
    {
        byte[] pcap = Generate(5_000);
        byte[] cut = pcap.AsSpan(0, pcap.Length - 37).ToArray();
        var one = Collect(PcapSource.FromStream(new MemoryStream(cut), new AnalysisOptions(), "cut.pcap"));
        var two = Collect(PcapSource.FromStream(new MemoryStream(cut), new AnalysisOptions(), "cut.pcap"), workers: 2);
        Assert.Equal(one.Text, two.Text);
        Assert.Equal(1, two.Stats.Skipped);
        Assert.Equal(one.Stats.Messages, two.Stats.Messages);
        Assert.StartsWith("cut.pcap: packet ", two.Stats.Messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SinkThrows_ExceptionSurfacesWithoutHanging()
    {
        byte[] pcap = Generate(20_000);
        using var source = PcapSource.FromStream(new MemoryStream(pcap, writable: false), new AnalysisOptions(), "generated");
        source.Workers = 3;
        var sink = new ThrowingSink(after: 50);
        var run = Task.Run(() => source.Run(sink, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken));
        Assert.Equal("sink failed", e.Message);
    }

    [Fact]
    public async Task Run_Cancelled_ThrowsOperationCanceled()
    {
        byte[] pcap = Generate(60_000);
        using var source = PcapSource.FromStream(new MemoryStream(pcap, writable: false), new AnalysisOptions(), "generated");
        source.Workers = 2;
        using var cts = new CancellationTokenSource();
        var sink = new CancellingSink(cts, after: 10);
        var run = Task.Run(() => source.Run(sink, cts.Token), TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken));
    }

    private static byte[] Generate(int packets)
    {
        var ms = new MemoryStream();
        TrafficGenerator.Generate(ms, new TrafficGeneratorOptions { Seed = 1, TargetPackets = packets });
        return ms.ToArray();
    }

    private static void AssertSameForWorkerCounts(Func<PcapSource> open, params int[] counts)
    {
        var baseline = Collect(open(), workers: 1);
        Assert.True(baseline.Stats.Flows > 0, "no flows at all");
        foreach (int n in counts)
        {
            var other = Collect(open(), workers: n);
            Assert.Equal(baseline.Stats.Flows, other.Stats.Flows);
            Assert.Equal(baseline.Stats.Records, other.Stats.Records);
            if (baseline.Text != other.Text) Assert.Fail($"{n} workers: records differ from 1 worker at record {FirstDifference(baseline.Text, other.Text)}");
        }
    }

    private static string FirstDifference(string a, string b)
    {
        string[] la = a.Split('\n');
        string[] lb = b.Split('\n');
        for (int i = 0; i < Math.Min(la.Length, lb.Length); i++)
        {
            if (la[i] != lb[i]) return $"{i}:\n  1: {la[i]}\n  N: {lb[i]}";
        }

        return $"{Math.Min(la.Length, lb.Length)} (lengths {la.Length} and {lb.Length})";
    }

    private static (string Text, IngestStats Stats) Collect(PcapSource source, int workers = 0)
    {
        using (source)
        {
            if (workers > 0) source.Workers = workers;
            var sink = new PcapCollectingSink();
            source.Run(sink, TestContext.Current.CancellationToken);
            return (RecordText.Of(sink.Events), source.Stats);
        }
    }
}

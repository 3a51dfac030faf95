using SlipsP2P.Core;
using SlipsP2P.Ingest.Pcap;
using SlipsP2P.Ingest.Synthetic;
using SlipsP2P.Ingest.Workers;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// Ingest on a thread of its own, detection on the caller's (issue 5, parameters.ingest_thread): the sink gets the
/// same records in the same order as from the source directly, for captures, flow files and any batch size; errors
/// of either side surface after what was read before them, and nothing hangs.
/// </summary>
public sealed class OverlappedSourceTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    public static TheoryData<string> Samples => new() { "scan.pcap", "ssh-bruteforce.pcap", "benign.pcap" };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Run_Sample_SameRecordsInSameOrderAsDirect(string sample)
    {
        string path = Path.Combine(Requires.RepoRoot, "samples", sample);
        AssertSameAsDirect(() => InputDetector.Open(path, null, new AnalysisOptions()), 1, 7, OverlappedSource.DefaultBatchSize);
    }

    [Theory]
    [InlineData("test7-malicious.pcap")]
    [InlineData("test2-malicious.binetflow")]
    [InlineData("test9-mixed-zeek-dir")]
    [InlineData("test6-malicious.suricata.json")]
    public void Run_SlipsDataset_SameRecordsInSameOrderAsDirect(string dataset)
    {
        string path = Requires.Dataset(dataset);
        AssertSameAsDirect(() => InputDetector.Open(path, null, new AnalysisOptions()), 3, OverlappedSource.DefaultBatchSize);
    }

    [Fact]
    public void Run_GeneratedCaptureWithWorkers_SameRecordsInSameOrderAsDirect()
    {
        // Two hand-offs in a row: the workers' merge runs on the ingest thread, detection on this one.
        byte[] pcap = Generate(40_000);
        AssertSameAsDirect(() => PcapSource.FromStream(new MemoryStream(pcap, writable: false), new AnalysisOptions { Workers = 2 }, "generated"), 5, 1000);
    }

    [Fact]
    public void Run_Counters_SameAsDirectAndVisibleThroughTheWrapper()
    {
        byte[] pcap = Generate(10_000);
        using var direct = PcapSource.FromStream(new MemoryStream(pcap, writable: false), new AnalysisOptions(), "generated");
        direct.Run(new PcapCollectingSink(), TestContext.Current.CancellationToken);
        using var inner = PcapSource.FromStream(new MemoryStream(pcap, writable: false), new AnalysisOptions(), "generated");
        var overlapped = new OverlappedSource(inner, batchSize: 64);
        RunBounded(overlapped, new PcapCollectingSink());
        Assert.Equal("generated", overlapped.Name);
        Assert.Equal("pcap", overlapped.Kind);
        Assert.Same(inner.Stats, overlapped.Stats);
        StatsAssert.SameCounts(direct.Stats, inner.Stats);
        Assert.True(inner.Stats.Records > 100, $"{inner.Stats.Records} records");
    }

    [Fact]
    public void Run_ReadFailsMidInput_RecordsBeforeDeliveredThenSameException()
    {
        // A disk error part-way through a capture: the reader's exception comes out of Run after every record it
        // emitted before the failure went to the sink, exactly as without the ingest thread.
        byte[] pcap = Generate(20_000);
        var (directText, directError) = RunUntilError(new AnalysisOptions(), pcap, overlap: 0);
        var (overlapText, overlapError) = RunUntilError(new AnalysisOptions(), pcap, overlap: 100);
        Assert.IsType<IOException>(directError);
        Assert.IsType<IOException>(overlapError);
        Assert.Equal(directError.Message, overlapError.Message);
        Assert.True(directText.Length > 0, "no record before the failure");
        Assert.Equal(directText, overlapText);
    }

    [Fact]
    public void Run_ReaderThrowsInputException_SurfacesUnchanged()
    {
        // An Argus file whose header lacks a required column: the reader thread throws the message naming the file.
        string dir = Directory.CreateTempSubdirectory("slips-overlap-").FullName;
        try
        {
            string path = Path.Combine(dir, "nostart.binetflow");
            File.WriteAllText(path, "Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State\n1.0,tcp,10.0.0.1,1234,->,10.0.0.2,80,S_\n");
            using var source = InputDetector.Open(path, "argus", new AnalysisOptions());
            var e = Assert.Throws<InputException>(() => RunBounded(new OverlappedSource(source), new PcapCollectingSink()));
            Assert.Equal($"{path}: line 1: missing column StartTime", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Run_SinkThrows_ExceptionSurfacesAndReaderStops()
    {
        byte[] pcap = Generate(40_000);
        var stream = new DeviceStream(pcap);
        using var source = PcapSource.FromStream(stream, new AnalysisOptions(), "generated");
        var e = Assert.Throws<InvalidOperationException>(() => RunBounded(new OverlappedSource(source, batchSize: 16), new ThrowingSink(after: 50)));
        Assert.Equal("sink failed", e.Message);
        // The reader was stopped by the failure, long before the end of the capture (it holds four batches at most).
        Assert.True(stream.Position < pcap.Length, $"read {stream.Position} of {pcap.Length} bytes");
    }

    [Fact]
    public void Run_Cancelled_RecordsHandedOverBeforeAreDeliveredThenCancellation()
    {
        byte[] pcap = Generate(60_000);
        var stream = new DeviceStream(pcap);
        using var source = PcapSource.FromStream(stream, new AnalysisOptions(), "generated");
        using var cts = new CancellationTokenSource();
        var sink = new CancellingSink(cts, after: 10);
        var run = Task.Run(() => new OverlappedSource(source, batchSize: 8).Run(sink, cts.Token), TestContext.Current.CancellationToken);
        Assert.ThrowsAny<OperationCanceledException>(() => run.WaitAsync(s_timeout, TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        // Every record the reader handed over before it saw the cancellation was analysed (at most the one it was
        // adding when it did is not), and the reader stopped long before the end of the capture.
        Assert.InRange(sink.Seen, Math.Max(10, source.Stats.Records - 1), source.Stats.Records);
        Assert.True(stream.Position < pcap.Length, $"read {stream.Position} of {pcap.Length} bytes");
    }

    [Fact]
    public void Constructor_BadSizes_Throw()
    {
        using var source = PcapSource.FromStream(new MemoryStream(Generate(100), writable: false), new AnalysisOptions(), "generated");
        Assert.Throws<ArgumentOutOfRangeException>(() => new OverlappedSource(source, batchSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OverlappedSource(source, batchSize: (1 << 20) + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OverlappedSource(source, batchesInFlight: 1));
        Assert.Throws<ArgumentNullException>(() => new OverlappedSource(null!));
    }

    private static byte[] Generate(int packets)
    {
        var ms = new MemoryStream();
        TrafficGenerator.Generate(ms, new TrafficGeneratorOptions { Seed = 3, TargetPackets = packets });
        return ms.ToArray();
    }

    private static void AssertSameAsDirect(Func<IEventSource> open, params int[] batchSizes)
    {
        string direct;
        using (var source = open())
        {
            var sink = new PcapCollectingSink();
            RunBounded(source, sink);
            direct = RecordText.Of(sink.Events);
        }

        Assert.True(direct.Length > 0, "no records at all");
        foreach (int size in batchSizes)
        {
            using var source = open();
            var sink = new PcapCollectingSink();
            RunBounded(new OverlappedSource(source, size), sink);
            string overlapped = RecordText.Of(sink.Events);
            if (overlapped != direct) Assert.Fail($"batch size {size}: records differ from the direct run ({direct.Length} vs {overlapped.Length} characters)");
        }
    }

    private static (string Text, Exception Error) RunUntilError(AnalysisOptions options, byte[] pcap, int overlap)
    {
        using IEventSource inner = PcapSource.FromStream(new DeviceStream(pcap, failAt: pcap.Length / 2), options, "disk.pcap");
        IEventSource source = overlap > 0 ? new OverlappedSource(inner, overlap) : inner;
        var sink = new PcapCollectingSink();
        var error = Assert.ThrowsAny<Exception>(() => RunBounded(source, sink));
        return (RecordText.Of(sink.Events), error);
    }

    /// <summary>Runs on a worker with a timeout, so a hang fails the test instead of stalling the suite.</summary>
    private static void RunBounded(IEventSource source, IEventSink sink)
    {
        var run = Task.Run(() => source.Run(sink, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        run.WaitAsync(s_timeout, TestContext.Current.CancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>
    /// A capture on a device, read once: counts what was read (from any thread), and fails part-way when
    /// <c>failAt</c> is set: reads past it throw an I/O error.
    /// </summary>
    private sealed class DeviceStream(byte[] data, long failAt = long.MaxValue) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => Volatile.Read(ref _position); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long at = Position;
            if (at >= failAt) throw new IOException($"Input/output error (simulated at byte {failAt})");
            int n = (int)Math.Min(buffer.Length, Math.Min(failAt, data.Length) - at);
            data.AsSpan((int)at, n).CopyTo(buffer);
            Interlocked.Add(ref _position, n);
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Live;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// The capture-to-batches path: batches and the bounded hand-over (pure), option checks, the open errors, and a
/// real capture on the loopback interface of a network namespace the test creates.
/// </summary>
public sealed class LiveCaptureTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void PacketBatch_AddUntilFull_KeepsPacketsAndClearEmpties()
    {
        var batch = new PacketBatch(maxPackets: 3, bufferBytes: 10);

        batch.Add([1, 2, 3], wireLength: 60, timestamp: 1.5);
        batch.Add([4, 5, 6, 7], wireLength: 2, timestamp: 2.5);

        Assert.Equal(2, batch.Count);
        Assert.Equal(7, batch.Bytes);
        Assert.Equal(new byte[] { 4, 5, 6, 7 }, batch.Data(1).ToArray());
        Assert.Equal(60, batch.WireLength(0));
        Assert.Equal(4, batch.WireLength(1)); // never less than what was captured
        Assert.Equal(2.5, batch.Timestamp(1));
        Assert.False(batch.Fits(4)); // 3 bytes left
        Assert.True(batch.Fits(3));
        batch.Add([8, 9, 10], 3, 3.5);
        Assert.True(batch.IsFull);
        Assert.False(batch.Fits(0));

        batch.Clear();
        Assert.Equal(0, batch.Count);
        Assert.True(batch.Fits(10));
    }

    [Fact]
    public void PacketBatchChannel_PublishWhenFull_CountsDropsAndNeverWaits()
    {
        var channel = new PacketBatchChannel(capacity: 2, maxPackets: 4, batchBytes: 64);
        var batches = new List<PacketBatch>();
        for (int i = 0; i < 3; i++)
        {
            var b = channel.Rent();
            for (int p = 0; p <= i; p++) b.Add([(byte)p], 1, p);
            batches.Add(b);
        }

        Assert.True(channel.Publish(batches[0]));
        Assert.True(channel.Publish(batches[1]));
        Assert.False(channel.Publish(batches[2])); // full: its 3 packets are dropped, the batch is emptied for reuse

        Assert.Equal(3, channel.DroppedPackets);
        Assert.Equal(1, channel.DroppedBatches);
        Assert.Equal(0, batches[2].Count);
        Assert.True(channel.Reader.TryRead(out var first));
        Assert.Same(batches[0], first);
        channel.Return(first);
        Assert.Same(first, channel.Rent()); // returned batches are reused, not reallocated
        Assert.Equal(0, first.Count);
    }

    [Fact]
    public void PacketBatchChannel_Complete_EndsTheReaderAfterQueuedBatches()
    {
        var channel = new PacketBatchChannel(capacity: 4, maxPackets: 4, batchBytes: 64);
        var b = channel.Rent();
        b.Add([1], 1, 1);
        Assert.True(channel.Publish(b));
        Assert.False(channel.Publish(channel.Rent())); // an empty batch is not handed over

        channel.Complete();

        Assert.True(channel.Reader.TryRead(out _));
        Assert.False(channel.Reader.TryRead(out _));
        Assert.True(channel.Reader.Completion.IsCompleted);
    }

    [Theory]
    [InlineData(0, 65535, 64)]
    [InlineData(64, 64, 64)]
    [InlineData(64, 65535, 0)]
    [InlineData(CaptureOptions.MaxBufferMegabytes + 1, 65535, 64)]
    public void CaptureOptions_OutOfRange_OpenRejectsWithTheKey(int bufferMb, int snaplen, int queue)
    {
        var options = new CaptureOptions { Interface = "lo", BufferMegabytes = bufferMb, Snaplen = snaplen, QueueBatches = queue };

        var e = Assert.Throws<InputException>(() => LiveCapture.Open(options));

        Assert.Contains("parameters.capture_", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LiveCapture_Open_NoSuchInterface_ThrowsNamingIt()
    {
        var e = Assert.Throws<InputException>(() => LiveCapture.Open(new CaptureOptions { Interface = "slipsnoif9" }));

        Assert.StartsWith("slipsnoif9: no such interface", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LiveCapture_Open_BadFilter_ThrowsNamingTheFilter()
    {
        Requires.Root();

        var e = Assert.Throws<InputException>(() => LiveCapture.Open(new CaptureOptions { Interface = "lo", Filter = "udp port nine" }));

        Assert.Contains("bad capture filter", e.Message, StringComparison.Ordinal);
        Assert.Contains("'udp port nine'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LiveCapture_IsLibpcapMissing_RecognisesLoadFailuresOnly()
    {
        Assert.True(LiveCapture.IsLibpcapMissing(new TypeInitializationException("x", new DllNotFoundException("libpcap"))));
        Assert.False(LiveCapture.IsLibpcapMissing(new InvalidOperationException("other")));
        Assert.Contains("libpcap0.8", LiveCapture.LibpcapMissingMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LiveCaptureSource_LoopbackInOwnNamespace_CountsPacketsAndWallClockEndsIdleFlow()
    {
        Requires.Root();
        Requires.Tool("ip");
        Requires.Tool("python3");
        var ct = TestContext.Current.CancellationToken;
        string ns = "slipslive" + RandomNumberGenerator.GetHexString(6, lowercase: true);
        Run("ip", $"netns add {ns}");
        try
        {
            Run("ip", $"-n {ns} link set lo up");

            // Arrange: the capture is opened from a thread that joined the namespace, so its socket sees that lo.
            // A one-second UDP timeout lets the wall clock, not a packet, end the flow.
            var options = new AnalysisOptions { UdpInactivityTimeout = 1 };
            options.Capture.Interface = "lo";
            options.Capture.Filter = "udp port 9999";
            options.Capture.StatsInterval = 0.2;
            using var source = OpenInNamespace(ns, options);
            var sink = new FlowSink(9999);
            var progress = new ConcurrentQueue<CaptureCounters>();
            source.Progress = progress.Enqueue;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var run = Task.Run(() => source.RunAsync(sink, stop.Token), ct);

            // Act: 50 datagrams to a port nobody listens on (the ICMP errors they cause do not pass the filter).
            Run("ip", $"netns exec {ns} python3 -c \"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); [s.sendto(b'x' * 100, ('127.0.0.1', 9999)) for _ in range(50)]\"");
            var flow = await sink.Flow.Task.WaitAsync(s_timeout, ct);
            await stop.CancelAsync();
            await run.WaitAsync(s_timeout, ct);

            // Assert: the flow ended while the capture was still running, by the clock, with every packet in it.
            Assert.Equal(50, flow.SourcePackets);
            Assert.Equal(Protocol.Udp, flow.Protocol);
            var c = source.Counters;
            Assert.Equal(50, c.Captured);
            Assert.Equal(50, c.Analysed);
            Assert.Equal(100, c.Received); // on loopback the kernel counts each packet going out and coming in; libpcap keeps one
            Assert.Equal(0, c.QueueDropped + c.KernelDropped);
            Assert.Equal(50, source.Stats.Packets);
            Assert.Equal(50 * (14 + 20 + 8 + 100), source.Stats.Bytes); // Ethernet, IPv4 and UDP headers and 100 bytes of payload
            Assert.Equal(1, source.Stats.Flows);
            Assert.NotEmpty(progress);
            Assert.Null(source.Failure);
        }
        finally
        {
            Requires.Run("ip", $"netns del {ns}", s_timeout);
        }
    }

    private static LiveCaptureSource OpenInNamespace(string ns, AnalysisOptions options)
    {
        LiveCaptureSource? source = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle("/var/run/netns/" + ns);
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0) throw new InvalidOperationException("setns failed: errno " + Marshal.GetLastPInvokeError());
                source = new LiveCaptureSource(options);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(s_timeout), "opening the capture hung");
        if (error is not null) throw new InvalidOperationException("could not open lo in " + ns, error);
        return source!;
    }

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);

    private static void Run(string file, string arguments)
    {
        var (exit, stdout, stderr) = Requires.Run(file, arguments, s_timeout);
        Assert.True(exit == 0, $"{file} {arguments} exited {exit}: {stdout}{stderr}");
    }

    /// <summary>Collects records; completes when the flow to <c>port</c> arrives.</summary>
    private sealed class FlowSink(ushort port) : IEventSink
    {
        public TaskCompletionSource<FlowRecord> Flow { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnEvent(NetEvent record)
        {
            if (record is FlowRecord f && f.DestinationPort == port) Flow.TrySetResult(f);
        }
    }
}

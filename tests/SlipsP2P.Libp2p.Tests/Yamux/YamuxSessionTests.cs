using System.Buffers;
using System.IO.Pipelines;
using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Transport;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Tests.Yamux;

public sealed class YamuxSessionTests : IAsyncLifetime
{
    private YamuxSession _client = null!;
    private YamuxSession _server = null!;
    private IDuplexPipe _clientTransport = null!;
    private IDuplexPipe _serverTransport = null!;

    public ValueTask InitializeAsync()
    {
        (_clientTransport, _serverTransport) = DuplexPipePair.Create();
        _client = new YamuxSession(_clientTransport, isClient: true, new YamuxOptions { KeepAliveInterval = TimeSpan.Zero });
        _server = new YamuxSession(_serverTransport, isClient: false, new YamuxOptions { KeepAliveInterval = TimeSpan.Zero });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync().DefaultTimeout();
        await _server.DisposeAsync().DefaultTimeout();
    }

    private static Func<YamuxStream, Task> Echo => async s =>
    {
        var data = await PipeIo.ReadToEndAsync(s.Input);
        await s.Output.WriteAsync(data, TestContext.Current.CancellationToken);
        await s.Output.CompleteAsync();
    };

    [Fact]
    public async Task OpenStream_EchoBothWays_IdsFollowRoles()
    {
        _client.InboundStreamHandler = Echo;
        _server.InboundStreamHandler = Echo;
        _client.Start();
        _server.Start();

        var c = _client.OpenStream();
        var s = _server.OpenStream();
        Assert.Equal(1u, c.Id);
        Assert.Equal(2u, s.Id);

        await PipeIo.WriteAsync(c.Output, "from client"u8.ToArray());
        await c.Output.CompleteAsync();
        await PipeIo.WriteAsync(s.Output, "from server"u8.ToArray());
        await s.Output.CompleteAsync();

        Assert.Equal("from client"u8.ToArray(), await PipeIo.ReadToEndAsync(c.Input));
        Assert.Equal("from server"u8.ToArray(), await PipeIo.ReadToEndAsync(s.Input));
        Assert.True(c.IsAcknowledged);
    }

    [Fact]
    public async Task ManyConcurrentStreams_AllEchoed()
    {
        _server.InboundStreamHandler = Echo;
        _client.Start();
        _server.Start();

        var tasks = Enumerable.Range(0, 200).Select(async i =>
        {
            var st = _client.OpenStream();
            var payload = new byte[1000 + i];
            new Random(i).NextBytes(payload);
            await st.Output.WriteAsync(payload, TestContext.Current.CancellationToken);
            await st.Output.CompleteAsync();
            Assert.Equal(payload, await PipeIo.ReadToEndAsync(st.Input));
        });
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(SpinWait.SpinUntil(() => _client.StreamCount == 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task SlowReader_WriterBlocksAtWindowAndResumes_NoViolation()
    {
        // Arrange: the server accepts but does not read until told.
        var accepted = new TaskCompletionSource<YamuxStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.InboundStreamHandler = s =>
        {
            accepted.TrySetResult(s);
            return Task.CompletedTask;
        };
        _client.Start();
        _server.Start();

        var st = _client.OpenStream();
        var payload = new byte[1024 * 1024];
        new Random(7).NextBytes(payload);
        var writing = Task.Run(async () =>
        {
            await st.Output.WriteAsync(payload, TestContext.Current.CancellationToken);
            await st.Output.CompleteAsync();
        }, TestContext.Current.CancellationToken);
        var server = await accepted.Task.DefaultTimeout();

        // The writer fills exactly one 256 KiB window while nobody consumes, and cannot finish 1 MiB.
        long buffered = 0;
        while (buffered < YamuxOptions.DefaultWindow)
        {
            var peek = await server.Input.ReadAsync(TestContext.Current.CancellationToken).DefaultTimeout();
            buffered = peek.Buffer.Length;

            // Mark everything examined until the window is full, then nothing, so the next read returns at once.
            server.Input.AdvanceTo(peek.Buffer.Start, buffered < YamuxOptions.DefaultWindow ? peek.Buffer.End : peek.Buffer.Start);
        }

        Assert.Equal(YamuxOptions.DefaultWindow, buffered);
        Assert.False(writing.IsCompleted);

        // Act: read slowly in small pieces.
        var got = new ArrayBufferWriter<byte>();
        while (true)
        {
            var r = await server.Input.ReadAsync(TestContext.Current.CancellationToken).DefaultTimeout();
            var take = r.Buffer.Slice(0, Math.Min(r.Buffer.Length, 10_000));
            foreach (var seg in take) got.Write(seg.Span);
            server.Input.AdvanceTo(take.End);
            if (r.IsCompleted && take.Length == r.Buffer.Length) break;
        }

        await writing.DefaultTimeout();
        Assert.Equal(payload, got.WrittenSpan.ToArray());
        Assert.False(_client.Completion.IsCompleted);
        Assert.False(_server.Completion.IsCompleted);
    }

    [Fact]
    public async Task Reset_ByOpener_ServerReaderFailsWithStreamException()
    {
        var failure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.InboundStreamHandler = async s =>
        {
            try
            {
                await PipeIo.ReadToEndAsync(s.Input);
                failure.TrySetResult(new InvalidOperationException("no reset seen"));
            }
            catch (YamuxStreamException ex)
            {
                failure.TrySetResult(ex);
            }
        };
        _client.Start();
        _server.Start();
        var st = _client.OpenStream();
        await PipeIo.WriteAsync(st.Output, [1, 2, 3]);
        st.Reset();
        Assert.IsType<YamuxStreamException>(await failure.Task.DefaultTimeout());

        // The session survives a stream reset.
        _server.InboundStreamHandler = Echo;
        var again = _client.OpenStream();
        await PipeIo.WriteAsync(again.Output, [9]);
        await again.Output.CompleteAsync();
        Assert.Equal([9], await PipeIo.ReadToEndAsync(again.Input));
    }

    [Fact]
    public async Task Reset_ByRemote_LocalWriterAndReaderThrowStreamException()
    {
        _server.InboundStreamHandler = s =>
        {
            s.Reset();
            return Task.CompletedTask;
        };
        _client.Start();
        _server.Start();
        var st = _client.OpenStream();
        await Assert.ThrowsAsync<YamuxStreamException>(() => PipeIo.ReadToEndAsync(st.Input)).DefaultTimeout();
        await Assert.ThrowsAsync<YamuxStreamException>(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                await st.Output.WriteAsync(new byte[100], TestContext.Current.CancellationToken);
                await Task.Yield();
            }
        }).DefaultTimeout();
        Assert.False(_client.Completion.IsCompleted);
    }

    [Fact]
    public async Task Reset_Locally_TheVeryNextWriteAndFlushThrow()
    {
        // Synchronously after Reset: before YamuxStreamWriter, the send loop failed the pipe only once the thread pool
        // ran it, and writes in between went nowhere without an error.
        _server.InboundStreamHandler = _ => Task.CompletedTask;
        _client.Start();
        _server.Start();
        var st = _client.OpenStream();
        await st.Output.WriteAsync(new byte[10], TestContext.Current.CancellationToken);

        st.Reset();

        await Assert.ThrowsAsync<YamuxStreamException>(async () => await st.Output.WriteAsync(new byte[10], TestContext.Current.CancellationToken));
        st.Output.GetSpan(4)[..4].Clear();
        st.Output.Advance(4);
        await Assert.ThrowsAsync<YamuxStreamException>(async () => await st.Output.FlushAsync(TestContext.Current.CancellationToken));
        Assert.False(_client.Completion.IsCompleted);
    }

    [Fact]
    public async Task LocalReset_WhileRemoteStreamsData_SessionSurvives()
    {
        // The read loop delivers into the stream while the application resets it from another thread.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.InboundStreamHandler = async s =>
        {
            started.TrySetResult();
            try
            {
                while (true) await s.Output.WriteAsync(new byte[4096], TestContext.Current.CancellationToken);
            }
            catch (YamuxStreamException)
            {
                // Our reset arrived.
            }
        };
        _client.Start();
        _server.Start();
        for (int i = 0; i < 20; i++)
        {
            var st = _client.OpenStream();
            await st.Output.FlushAsync(TestContext.Current.CancellationToken);
            await started.Task.DefaultTimeout();
            var r = await st.Input.ReadAsync(TestContext.Current.CancellationToken).DefaultTimeout();
            st.Input.AdvanceTo(r.Buffer.End);
            st.Reset();
        }

        Assert.True(await _client.PingAsync(TestContext.Current.CancellationToken).DefaultTimeout() >= TimeSpan.Zero);
        Assert.False(_client.Completion.IsCompleted);
        Assert.False(_server.Completion.IsCompleted);
    }

    [Fact]
    public async Task LargerReceiveWindow_GrantedOnOpen_RemoteSendsMoreWithoutReads()
    {
        // Arrange: the server grants 1 MiB per stream (the extra 768 KiB travel in the ACK's delta).
        (_clientTransport, _serverTransport) = DuplexPipePair.Create();
        await _client.DisposeAsync();
        await _server.DisposeAsync();
        _client = new YamuxSession(_clientTransport, isClient: true, new YamuxOptions { KeepAliveInterval = TimeSpan.Zero });
        _server = new YamuxSession(_serverTransport, isClient: false, new YamuxOptions { KeepAliveInterval = TimeSpan.Zero, ReceiveWindow = 1024 * 1024 });
        var accepted = new TaskCompletionSource<YamuxStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.InboundStreamHandler = s =>
        {
            accepted.TrySetResult(s);
            return Task.CompletedTask;
        };
        _client.Start();
        _server.Start();

        // Act: 1 MiB is written while the server reads nothing.
        var st = _client.OpenStream();
        await st.Output.WriteAsync(new byte[1024 * 1024], TestContext.Current.CancellationToken).DefaultTimeout();
        var server = await accepted.Task.DefaultTimeout();

        // Assert: all of it arrives without any consumption.
        long buffered = 0;
        while (buffered < 1024 * 1024)
        {
            var r = await server.Input.ReadAsync(TestContext.Current.CancellationToken).DefaultTimeout();
            buffered = r.Buffer.Length;
            server.Input.AdvanceTo(r.Buffer.Start, r.Buffer.End);
        }

        Assert.Equal(1024 * 1024, buffered);
        Assert.False(_server.Completion.IsCompleted);
    }

    [Fact]
    public async Task Ping_BothWays_ReturnsRtt()
    {
        _client.Start();
        _server.Start();
        var rtt = await _client.PingAsync(TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.True(rtt >= TimeSpan.Zero);
        await _server.PingAsync(TestContext.Current.CancellationToken).DefaultTimeout();
    }

    [Fact]
    public async Task GoAway_Received_NoNewStreamsAndSessionEndsOnClose()
    {
        _client.Start();
        _server.Start();
        await _server.CloseAsync().DefaultTimeout();
        await _client.Completion.DefaultTimeout();
        Assert.Throws<YamuxSessionException>(() => _client.OpenStream());
    }

    [Fact]
    public async Task WindowViolation_ByRawPeer_SessionSendsGoAwayProtocolError()
    {
        // Arrange: a raw peer speaks yamux by hand to our server.
        _server.Start();
        var raw = _clientTransport;
        var frames = new byte[12 + 12 + (256 * 1024) + 1];
        new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0).Write(frames);
        new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, 1, (256 * 1024) + 1).Write(frames.AsSpan(12));

        // Act
        await PipeIo.WriteAsync(raw.Output, frames);

        // Assert: ACK for the stream, then GoAway(protocol error).
        var bytes = await PipeIo.ReadToEndAsync(raw.Input);
        Assert.True(bytes.Length >= 24);
        Assert.Equal(OperationStatus.Done, YamuxHeader.TryRead(bytes.AsSpan(bytes.Length - 12), out var last, out _));
        Assert.Equal(YamuxFrameType.GoAway, last.Type);
        Assert.Equal((uint)GoAwayCode.ProtocolError, last.Length);
        await Assert.ThrowsAsync<YamuxSessionException>(() => _server.Completion).DefaultTimeout();
    }

    [Fact]
    public async Task PingSyn_ByRawPeer_AnsweredWithAckSameOpaque()
    {
        _server.Start();
        var raw = _clientTransport;
        var ping = new byte[12];
        new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Syn, 0, 0xDEADBEEF).Write(ping);
        await PipeIo.WriteAsync(raw.Output, ping);
        var reply = await PipeIo.ReadExactlyAsync(raw.Input, 12);
        Assert.Equal(OperationStatus.Done, YamuxHeader.TryRead(reply, out var h, out _));
        Assert.Equal(new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Ack, 0, 0xDEADBEEF), h);
    }

    [Theory]
    [InlineData("000000000000000000000000")] // data on stream 0
    [InlineData("000200010000000100000000")] // ping on stream 1
    [InlineData("000100010000000200000000")] // client opening an even (server) id
    [InlineData("000200040000000000000000")] // ping with FIN flag
    [InlineData("050000000000000100000000")] // bad version
    public async Task ProtocolViolation_ByRawPeer_GoAwayProtocolError(string hex)
    {
        _server.Start();
        await PipeIo.WriteAsync(_clientTransport.Output, Convert.FromHexString(hex));
        var bytes = await PipeIo.ReadToEndAsync(_clientTransport.Input);
        Assert.Equal(OperationStatus.Done, YamuxHeader.TryRead(bytes.AsSpan(bytes.Length - 12), out var last, out _));
        Assert.Equal(new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)GoAwayCode.ProtocolError), last);
    }

    [Fact]
    public async Task InboundLimit_Exceeded_ExtraStreamReset()
    {
        // Arrange: a server that allows a single inbound stream, on its own transport pair.
        (_clientTransport, _serverTransport) = DuplexPipePair.Create();
        await _client.DisposeAsync();
        await _server.DisposeAsync();
        _client = new YamuxSession(_clientTransport, isClient: true, new YamuxOptions { KeepAliveInterval = TimeSpan.Zero });
        _server = new YamuxSession(_serverTransport, isClient: false, new YamuxOptions { KeepAliveInterval = TimeSpan.Zero, MaxInboundStreams = 1 });
        _server.InboundStreamHandler = _ => Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken);
        _client.Start();
        _server.Start();
        var first = _client.OpenStream();
        var second = _client.OpenStream();
        await Assert.ThrowsAsync<YamuxStreamException>(() => PipeIo.ReadToEndAsync(second.Input)).DefaultTimeout();
        Assert.Equal(1, _server.StreamCount);
        first.Reset();
    }

    [Fact]
    public async Task ConcurrentOpens_SynsLeaveInIdOrder()
    {
        // The receiver takes a SYN whose id is not above the last one it saw for a stale id (and resets it): stream ids
        // must reach the wire in the order they were given out, however many threads open at once. Seen in CI: two
        // opens raced between taking an id and queueing its SYN, and the later id's SYN went first.
        const int Rounds = 100, Threads = 4, PerThread = 60; // 240 unacknowledged streams: under the 256 allowed
        for (int round = 0; round < Rounds; round++)
        {
            var (clientSide, rawSide) = DuplexPipePair.Create();
            var client = new YamuxSession(clientSide, isClient: true, new YamuxOptions { KeepAliveInterval = TimeSpan.Zero });
            client.Start();
            using var go = new Barrier(Threads);
            var openers = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(() =>
            {
                go.SignalAndWait(TestContext.Current.CancellationToken);
                for (int i = 0; i < PerThread; i++) client.OpenStream();
            }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            await Task.WhenAll(openers).DefaultTimeout();

            var bytes = await PipeIo.ReadExactlyAsync(rawSide.Input, Threads * PerThread * 12).DefaultTimeout();
            uint last = 0;
            for (int f = 0; f < Threads * PerThread; f++)
            {
                Assert.Equal(OperationStatus.Done, YamuxHeader.TryRead(bytes.AsSpan(f * 12, 12), out var h, out _));
                Assert.True((h.Flags & YamuxFlags.Syn) != 0, $"frame {f} is not a SYN: {h}");
                Assert.True(h.StreamId > last, $"round {round}: SYN {h.StreamId} after SYN {last}");
                last = h.StreamId;
            }

            await rawSide.Input.CompleteAsync();
            await rawSide.Output.CompleteAsync();
            await client.DisposeAsync().DefaultTimeout();
        }
    }

    [Fact]
    public async Task SynBelowTheLastId_ByRawPeer_StreamReset()
    {
        // A SYN whose id is not above the last the peer opened cannot start a stream; the opener hears so (RST) rather
        // than waiting for an answer that never comes.
        _server.InboundStreamHandler = _ => Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken);
        _server.Start();
        var frames = new byte[24];
        new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 3, 0).Write(frames);
        new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0).Write(frames.AsSpan(12));
        await PipeIo.WriteAsync(_clientTransport.Output, frames);

        var reply = await PipeIo.ReadExactlyAsync(_clientTransport.Input, 24).DefaultTimeout();
        Assert.Equal(OperationStatus.Done, YamuxHeader.TryRead(reply, out var ack, out _));
        Assert.Equal(3u, ack.StreamId);
        Assert.True((ack.Flags & YamuxFlags.Ack) != 0);
        Assert.Equal(OperationStatus.Done, YamuxHeader.TryRead(reply.AsSpan(12), out var rst, out _));
        Assert.Equal(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, 1, 0), rst);
        Assert.Equal(1, _server.StreamCount);
    }
}

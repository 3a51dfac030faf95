using System.Net;
using System.Net.Sockets;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Multistream;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Protocols.Identify;
using SlipsP2P.Libp2p.Protocols.Ping;
using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Tests.Transport;

public sealed class HostTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _cleanup = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        for (int i = _cleanup.Count - 1; i >= 0; i--) await _cleanup[i].DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
    }

    private Libp2pHost NewHost(Libp2pHostOptions? options = null)
    {
        var key = Ed25519KeyPair.Generate();
        var host = new Libp2pHost(key, options);
        _cleanup.Add(new KeyOwner(key));
        _cleanup.Add(host);
        return host;
    }

    private sealed class KeyOwner(Ed25519KeyPair key) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            key.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static void AddEcho(Libp2pHost host) => host.SetStreamHandler("/test/echo/1.0.0", async (s, ct) =>
    {
        var data = await PipeIo.ReadToEndAsync(s.Input);
        await s.Output.WriteAsync(data, ct);
    });

    private static async Task<byte[]> EchoAsync(Libp2pConnection c, byte[] payload)
    {
        var opening = c.OpenStreamAsync("/test/echo/1.0.0", TestContext.Current.CancellationToken);
        Libp2pStream s;
        try
        {
            s = await opening.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            // Say what the process was doing, so a slow machine and a stuck open can be told apart.
            throw new TimeoutException(
                $"opening an echo stream took over {TestTimeouts.Default.TotalSeconds} s; thread pool: {ThreadPool.ThreadCount} threads, " +
                $"{ThreadPool.PendingWorkItemCount} queued work items, {ThreadPool.CompletedWorkItemCount} completed");
        }

        await using (s)
        {
            await s.Output.WriteAsync(payload, TestContext.Current.CancellationToken);
            await s.Output.CompleteAsync();
            return await PipeIo.ReadToEndAsync(s.Input);
        }
    }

    [Fact]
    public async Task DialOverLoopbackTcp_FullUpgrade_IdentifyPingAndEchoComplete()
    {
        var listener = NewHost();
        var dialer = NewHost();
        AddEcho(listener);
        var opened = new TaskCompletionSource<Libp2pConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.ConnectionOpened += (_, c) => opened.TrySetResult(c);
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.NotEqual(0, addr.Components[1].Value.Span[0] << 8 | addr.Components[1].Value.Span[1]);

        var conn = await dialer.DialAsync(addr.WithPeerId(listener.PeerId), TestContext.Current.CancellationToken).DefaultTimeout();

        Assert.Equal(listener.PeerId, conn.RemotePeer);
        Assert.Equal(ConnectionDirection.Outbound, conn.Direction);
        var inbound = await opened.Task.DefaultTimeout();
        Assert.Equal(dialer.PeerId, inbound.RemotePeer);
        Assert.Equal(ConnectionDirection.Inbound, inbound.Direction);

        // Identify both ways.
        var id = await conn.Identified.DefaultTimeout();
        Assert.NotNull(id);
        Assert.Equal("slips-p2p/0.1.0", id.AgentVersion);
        Assert.Contains("/test/echo/1.0.0", id.Protocols);
        Assert.Contains(PingProtocol.ProtocolId, id.Protocols);
        Assert.Contains(addr, id.ListenAddresses);
        Assert.NotNull(id.ObservedAddress);
        Assert.NotNull(await inbound.Identified.DefaultTimeout());

        // Ping both ways and an application protocol.
        Assert.True(await conn.PingAsync(TestContext.Current.CancellationToken).DefaultTimeout() >= TimeSpan.Zero);
        Assert.True(await listener.PingAsync(dialer.PeerId, TestContext.Current.CancellationToken).DefaultTimeout() >= TimeSpan.Zero);
        Assert.Equal("hello"u8.ToArray(), await EchoAsync(conn, "hello"u8.ToArray()));

        // Dialing the same peer again reuses the connection.
        Assert.Same(conn, await dialer.DialAsync(addr.WithPeerId(listener.PeerId), TestContext.Current.CancellationToken).DefaultTimeout());
    }

    [Fact]
    public async Task InMemoryPipes_ManyConcurrentStreamsAndLargePayload_AllEchoed()
    {
        // 65 opens at once from the thread pool: their SYNs must reach the remote in id order (it resets a stale id),
        // which two racing opens once broke (YamuxSession.OpenStream; a CI run saw one open wait out the timeout).
        var a = NewHost();
        var b = NewHost();
        AddEcho(b);
        var (pa, pb) = DuplexPipePair.Create();
        var mem = Multiaddr.Parse("/ip4/127.0.0.1/tcp/1");
        var accept = b.UpgradeAsync(pb, ConnectionDirection.Inbound, mem, null, null, TestContext.Current.CancellationToken);
        var conn = await a.UpgradeAsync(pa, ConnectionDirection.Outbound, mem, b.PeerId, null, TestContext.Current.CancellationToken).DefaultTimeout();
        await accept.DefaultTimeout();

        var big = new byte[3 * 1024 * 1024];
        new Random(1).NextBytes(big);
        var tasks = new List<Task>();
        for (int i = 0; i < 64; i++)
        {
            int n = i;
            tasks.Add(Task.Run(async () =>
            {
                var payload = new byte[5000 + n];
                new Random(n).NextBytes(payload);
                Assert.Equal(payload, await EchoAsync(conn, payload));
            }, TestContext.Current.CancellationToken));
        }

        tasks.Add(Task.Run(async () => Assert.Equal(big, await EchoAsync(conn, big)), TestContext.Current.CancellationToken));
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task InlineMuxerNegotiation_AnyCombination_ConnectsAndPings(bool dialerInline, bool listenerInline)
    {
        var listener = NewHost(new Libp2pHostOptions { InlineMuxerNegotiation = listenerInline });
        var dialer = NewHost(new Libp2pHostOptions { InlineMuxerNegotiation = dialerInline });
        AddEcho(listener);
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        var conn = await dialer.DialAsync(addr, TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.NotNull(await conn.Identified.DefaultTimeout());
        await conn.PingAsync(TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.Equal([7, 7], await EchoAsync(conn, [7, 7]));
    }

    [Fact]
    public async Task Dial_WrongExpectedPeerId_FailsWithNoiseException()
    {
        var listener = NewHost();
        var dialer = NewHost();
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        using var stranger = Ed25519KeyPair.Generate();
        var ex = await Assert.ThrowsAsync<NoiseException>(() => dialer.DialAsync(addr.WithPeerId(stranger.PeerId), TestContext.Current.CancellationToken)).DefaultTimeout();
        Assert.Contains(stranger.PeerId.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, dialer.Connections.Count);
    }

    [Fact]
    public async Task OpenStream_UnsupportedProtocol_MultistreamNotSupported_ConnectionSurvives()
    {
        var listener = NewHost();
        var dialer = NewHost();
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        var conn = await dialer.DialAsync(addr, TestContext.Current.CancellationToken).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<MultistreamException>(() => conn.OpenStreamAsync(["/nope/1", "/nope/2"], TestContext.Current.CancellationToken)).DefaultTimeout();
        Assert.True(ex.NotSupported);
        await conn.PingAsync(TestContext.Current.CancellationToken).DefaultTimeout();
    }

    [Fact]
    public async Task Listener_GarbageFromRawTcp_ConnectionDroppedHostKeepsServing()
    {
        var listener = NewHost();
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        addr.TryGetTcpTarget(out _, out int port, out _);

        // A client speaking nonsense, then one that sends a valid mss header but a bogus Noise message.
        foreach (var junk in new[] { new byte[] { 0xff, 0xff, 0xff, 0xff, 0x01 }, Convert.FromHexString("132f6d756c746973747265616d2f312e302e300a072f6e6f6973650a0003010203") })
        {
            using var raw = new TcpClient();
            await raw.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken).DefaultTimeout();
            var ns = raw.GetStream();
            await ns.WriteAsync(junk, TestContext.Current.CancellationToken);
            var buf = new byte[256];
            while (await ns.ReadAsync(buf, TestContext.Current.CancellationToken).AsTask().DefaultTimeout() > 0)
            {
                // Drain until the host closes the socket.
            }
        }

        var dialer = NewHost();
        var conn = await dialer.DialAsync(addr, TestContext.Current.CancellationToken).DefaultTimeout();
        await conn.PingAsync(TestContext.Current.CancellationToken).DefaultTimeout();
    }

    [Fact]
    public async Task PerIpLimit_Reached_ExtraInboundRejected()
    {
        var listener = NewHost(new Libp2pHostOptions { MaxConnectionsPerIp = 1 });
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        var first = NewHost();
        await first.DialAsync(addr, TestContext.Current.CancellationToken).DefaultTimeout();
        var second = NewHost();
        await Assert.ThrowsAnyAsync<Exception>(() => second.DialAsync(addr, TestContext.Current.CancellationToken)).DefaultTimeout();
        Assert.Equal(1, listener.Connections.Count);
    }

    [Fact]
    public async Task Close_ByDialer_BothSidesSeeClosed()
    {
        var listener = NewHost();
        var dialer = NewHost();
        var closed = new TaskCompletionSource<Libp2pConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.ConnectionClosed += (_, c) => closed.TrySetResult(c);
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        var conn = await dialer.DialAsync(addr, TestContext.Current.CancellationToken).DefaultTimeout();
        await conn.Identified.DefaultTimeout();

        await conn.CloseAsync().DefaultTimeout();

        Assert.Equal(dialer.PeerId, (await closed.Task.DefaultTimeout()).RemotePeer);
        Assert.True(SpinWait.SpinUntil(() => dialer.Connections.Count == 0 && listener.Connections.Count == 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task IdentifyPush_AfterNewHandler_RemoteSeesNewProtocol()
    {
        var listener = NewHost();
        var dialer = NewHost();
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        var conn = await dialer.DialAsync(addr, TestContext.Current.CancellationToken).DefaultTimeout();
        await conn.Identified.DefaultTimeout();
        var inbound = listener.Connections.GetConnections(dialer.PeerId)[0];
        await inbound.Identified.DefaultTimeout();
        var pushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.PeerIdentified += (_, c) =>
        {
            if (c.Identify?.Protocols.Contains("/new/1.0.0") == true) pushed.TrySetResult();
        };

        dialer.SetStreamHandler("/new/1.0.0", (_, _) => Task.CompletedTask);
        await dialer.PushIdentifyAsync(TestContext.Current.CancellationToken).DefaultTimeout();

        await pushed.Task.DefaultTimeout();
    }

    [Theory]
    [InlineData("foreign-key")]
    [InlineData("no-key")]
    [InlineData("oversized")]
    [InlineData("garbage")]
    public async Task Identify_MaliciousResponder_IdentifyFailsConnectionSurvives(string kind)
    {
        var listener = NewHost();
        var dialer = NewHost();
        using var stranger = Ed25519KeyPair.Generate();
        listener.SetStreamHandler(IdentifyProtocol.ProtocolId, async (s, ct) =>
        {
            byte[] body = kind switch
            {
                "foreign-key" => new IdentifyMessage { PublicKey = stranger.PublicKey.ToProtobuf(), AgentVersion = "evil" }.Encode(),
                "no-key" => new IdentifyMessage { AgentVersion = "evil" }.Encode(),
                "oversized" => new byte[IdentifyMessage.MaxLength + 1],
                _ => [0x0a, 0xff, 0xff, 0x01],
            };
            await SlipsP2P.Libp2p.Protobuf.LengthPrefixed.WriteAsync(s.Output, body, ct);
        });
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        var conn = await dialer.DialAsync(addr, TestContext.Current.CancellationToken).DefaultTimeout();

        Assert.Null(await conn.Identified.DefaultTimeout());
        Assert.Null(conn.Identify);
        await conn.PingAsync(TestContext.Current.CancellationToken).DefaultTimeout();
    }

    [Fact]
    public async Task Identify_BothWays_EachKeepsTheOthersSignedPeerRecordOfItsListenAddresses()
    {
        var listener = NewHost();
        var dialer = NewHost();
        var ct = TestContext.Current.CancellationToken;
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), ct).DefaultTimeout();
        await dialer.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), ct).DefaultTimeout();
        var conn = await dialer.DialAsync(addr, ct).DefaultTimeout();
        Assert.NotNull(await conn.Identified.DefaultTimeout());
        var inbound = listener.Connections.GetConnections(dialer.PeerId)[0];
        Assert.NotNull(await inbound.Identified.DefaultTimeout());

        foreach (var (host, other) in new[] { (dialer, listener), (listener, dialer) })
        {
            byte[]? envelope = host.SignedPeerRecordOf(other.PeerId);
            Assert.NotNull(envelope);
            Assert.Equal(System.Buffers.OperationStatus.Done, SlipsP2P.Libp2p.Discovery.SignedPeerRecord.TryOpen(envelope, out var record));
            Assert.Equal(other.PeerId, record!.Peer);
            Assert.Equal(other.ListenAddresses, record.Addresses);
        }

        // The same record while the addresses stay; a new listener re-signs it with a larger sequence number.
        byte[] first = listener.LocalSignedPeerRecord();
        Assert.Same(first, listener.LocalSignedPeerRecord());
        await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), ct).DefaultTimeout();
        SlipsP2P.Libp2p.Discovery.SignedPeerRecord.TryOpen(first, out var before);
        SlipsP2P.Libp2p.Discovery.SignedPeerRecord.TryOpen(listener.LocalSignedPeerRecord(), out var after);
        Assert.Equal(2, after!.Addresses.Count);
        Assert.True(after.Sequence > before!.Sequence);
    }

    [Theory]
    [InlineData("about-another-peer")]
    [InlineData("bad-signature")]
    public async Task Identify_ForgedSignedPeerRecord_DroppedRestOfIdentifyKept(string kind)
    {
        var listener = NewHost();
        var dialer = NewHost();
        using var stranger = Ed25519KeyPair.Generate();
        var ct = TestContext.Current.CancellationToken;
        listener.SetStreamHandler(IdentifyProtocol.ProtocolId, async (s, token) =>
        {
            var m = IdentifyProtocol.CreateMessage(listener, s.Connection);
            if (kind == "about-another-peer")
            {
                m.SignedPeerRecord = SlipsP2P.Libp2p.Discovery.SignedPeerRecord.Seal(stranger, 1, listener.ListenAddresses);
            }
            else
            {
                m.SignedPeerRecord = (byte[])m.SignedPeerRecord!.Clone();
                m.SignedPeerRecord[^1] ^= 1; // the last byte is the signature's
            }

            await SlipsP2P.Libp2p.Protobuf.LengthPrefixed.WriteAsync(s.Output, m.Encode(), token);
        });
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), ct).DefaultTimeout();
        var conn = await dialer.DialAsync(addr, ct).DefaultTimeout();

        var identify = await conn.Identified.DefaultTimeout();
        Assert.NotNull(identify);
        Assert.Null(identify.SignedPeerRecord);
        Assert.Null(dialer.SignedPeerRecordOf(listener.PeerId));
        Assert.Equal(listener.ListenAddresses, identify.ListenAddresses);
    }

    [Fact]
    public void IdentifyMessage_RoundTrip_AllFields()
    {
        var m = new IdentifyMessage
        {
            ProtocolVersion = "ipfs/0.1.0",
            AgentVersion = "a",
            PublicKey = [8, 1],
            ListenAddrs = [[4, 127, 0, 0, 1, 6, 0, 1]],
            ObservedAddr = [4, 1, 2, 3, 4],
            Protocols = ["/x", "/y"],
            SignedPeerRecord = [1],
        };
        Assert.Equal(System.Buffers.OperationStatus.Done, IdentifyMessage.TryDecode(m.Encode(), out var back));
        Assert.Equal(m.Encode(), back!.Encode());
        Assert.Equal(System.Buffers.OperationStatus.InvalidData, IdentifyMessage.TryDecode(new byte[9000], out _));
    }
}

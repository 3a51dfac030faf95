using System.Text.Json;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Protocols.Ping;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Interop.Tests;

/// <summary>Our libp2p host against js-libp2p 2.10 (tests/interop-js/peer.mjs) on 127.0.0.1, in both directions.</summary>
public sealed class InteropTests : IAsyncLifetime
{
    private const string AlicePeerId = "12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm";
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(20);

    private readonly Ed25519KeyPair _key = Ed25519KeyPair.Generate();
    private Libp2pHost _host = null!;
    private JsPeer? _js;
    private int _inboundPings;

    public ValueTask InitializeAsync()
    {
        _host = new Libp2pHost(_key);

        // Count js's connection-monitor pings while answering them with the real responder.
        _host.SetStreamHandler(PingProtocol.ProtocolId, (s, ct) =>
        {
            Interlocked.Increment(ref _inboundPings);
            return PingProtocol.RespondAsync(s, ct);
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_js is not null) await _js.DisposeAsync();
        await _host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        _key.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Func<JsonElement, bool> EventFor(string name) => e => JsPeer.Is(e, name) && JsPeer.Str(e, "peer") == _host.PeerId.ToString();

    [Fact]
    public async Task OurHostDialsJs_NoiseYamuxIdentifyPing_CompleteBothWays()
    {
        // Arrange
        _js = await JsPeer.StartAsync("--seed alice --topic interop-topic");
        Assert.Equal(AlicePeerId, _js.PeerId);

        // Act: we are the TCP dialer (Noise initiator, yamux client, odd stream ids). We listen too, so that our signed
        // peer record has an address in it.
        await _host.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Ct).WaitAsync(s_step, Ct);
        var conn = await _host.DialAsync(Multiaddr.Parse(_js.ListenAddress), Ct).WaitAsync(s_step, Ct);

        // Assert: Noise authenticated alice; js saw us inbound with noise + yamux.
        Assert.Equal(AlicePeerId, conn.RemotePeer.ToString());
        var open = await _js.WaitForAsync(EventFor("connection:open"), s_step);
        Assert.Equal("inbound", JsPeer.Str(open, "direction"));

        // Our identify of js.
        var id = await conn.Identified.WaitAsync(s_step, Ct);
        Assert.NotNull(id);
        Assert.StartsWith("js-libp2p/", id.AgentVersion, StringComparison.Ordinal);
        Assert.Contains(PingProtocol.ProtocolId, id.Protocols);
        Assert.Contains("/meshsub/1.1.0", id.Protocols);
        Assert.NotEmpty(id.ListenAddresses);

        // js's identify of us.
        var jsId = await _js.WaitForAsync(EventFor("identify"), s_step);
        Assert.Equal("slips-p2p/0.1.0", JsPeer.Str(jsId, "agentVersion"));
        var protocols = jsId.GetProperty("protocols").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Contains("/ipfs/ping/1.0.0", protocols);
        Assert.Contains("/ipfs/id/1.0.0", protocols);

        // Signed peer records both ways: js certified ours (its event has it only then), we verified js's.
        var jsRecord = jsId.GetProperty("signedPeerRecord");
        Assert.Equal(JsonValueKind.Object, jsRecord.ValueKind);
        Assert.NotEmpty(_host.GetAdvertisedAddresses());
        Assert.Equal(_host.GetAdvertisedAddresses().Select(a => a.ToString()), jsRecord.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.NotNull(id.SignedPeerRecord);
        Assert.Equal(System.Buffers.OperationStatus.Done, SlipsP2P.Libp2p.Discovery.SignedPeerRecord.TryOpen(id.SignedPeerRecord, out var jsOwn));
        Assert.Equal(AlicePeerId, jsOwn!.Peer.ToString());

        // libp2p ping both ways, plus a yamux-level ping.
        Assert.True(await conn.PingAsync(Ct).WaitAsync(s_step, Ct) > TimeSpan.Zero);
        await _js.SendAsync("ping " + _host.PeerId);
        var ping = await _js.WaitForAsync(EventFor("ping"), s_step);
        Assert.True(ping.GetProperty("rtt").GetDouble() >= 0);
        Assert.True(await conn.MuxerPingAsync(Ct).WaitAsync(s_step, Ct) >= TimeSpan.Zero);
        Assert.DoesNotContain(_js.Events, e => JsPeer.Is(e, "error"));
    }

    [Fact]
    public async Task JsDialsOurHost_NoiseYamuxIdentifyPing_CompleteBothWays()
    {
        // Arrange: we listen; js dials (we are Noise responder, yamux server, even ids).
        var opened = new TaskCompletionSource<Libp2pConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.ConnectionOpened += (_, c) => opened.TrySetResult(c);
        var addr = await _host.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Ct).WaitAsync(s_step, Ct);

        // Act
        _js = await JsPeer.StartAsync($"--seed alice --dial {addr.WithPeerId(_host.PeerId)}");

        // Assert
        var conn = await opened.Task.WaitAsync(s_step, Ct);
        Assert.Equal(AlicePeerId, conn.RemotePeer.ToString());
        Assert.Equal(ConnectionDirection.Inbound, conn.Direction);
        var dialed = await _js.WaitForAsync(e => JsPeer.Is(e, "dialed") || JsPeer.Is(e, "error"), s_step);
        Assert.True(JsPeer.Is(dialed, "dialed"), dialed.GetRawText());

        var id = await conn.Identified.WaitAsync(s_step, Ct);
        Assert.NotNull(id);
        Assert.StartsWith("js-libp2p/", id.AgentVersion, StringComparison.Ordinal);
        var jsId = await _js.WaitForAsync(EventFor("identify"), s_step);
        Assert.Contains(jsId.GetProperty("listenAddrs").EnumerateArray(), a => a.GetString()!.StartsWith(addr.ToString(), StringComparison.Ordinal));

        await _js.SendAsync("ping " + _host.PeerId);
        await _js.WaitForAsync(EventFor("ping"), s_step);
        Assert.True(await _host.PingAsync(conn.RemotePeer, Ct).WaitAsync(s_step, Ct) > TimeSpan.Zero);
        Assert.DoesNotContain(_js.Events, e => JsPeer.Is(e, "error"));
    }

    [Fact]
    public async Task InlineMuxerNegotiation_BothDirections_ConnectIdentifyPing()
    {
        // Arrange: a host that offers /yamux/1.0.0 in its Noise extensions; js always does, so the muxer
        // multistream round is skipped on both sides.
        using var key = Ed25519KeyPair.Generate();
        await using var inline = new Libp2pHost(key, new Libp2pHostOptions { InlineMuxerNegotiation = true });
        var opened = new TaskCompletionSource<Libp2pConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        inline.ConnectionOpened += (_, c) =>
        {
            if (c.Direction == ConnectionDirection.Inbound) opened.TrySetResult(c);
        };
        var addr = await inline.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Ct).WaitAsync(s_step, Ct);
        _js = await JsPeer.StartAsync("--no-pubsub --seed alice");

        // Act + Assert: we dial js.
        var outbound = await inline.DialAsync(Multiaddr.Parse(_js.ListenAddress), Ct).WaitAsync(s_step, Ct);
        Assert.NotNull(await outbound.Identified.WaitAsync(s_step, Ct));
        Assert.True(await outbound.PingAsync(Ct).WaitAsync(s_step, Ct) > TimeSpan.Zero);
        await outbound.CloseAsync().AsTask().WaitAsync(s_step, Ct);
        // js must have seen that close before it dials, or its dial reuses the closing connection and opens none.
        await _js.WaitForAsync(e => JsPeer.Is(e, "connection:close") && JsPeer.Str(e, "peer") == inline.PeerId.ToString(), s_step);

        // js dials us.
        await _js.SendAsync($"dial {addr.WithPeerId(inline.PeerId)}");
        var inbound = await opened.Task.WaitAsync(s_step, Ct);
        Assert.NotNull(await inbound.Identified.WaitAsync(s_step, Ct));
        await _js.SendAsync("ping " + inline.PeerId);
        await _js.WaitForAsync(e => JsPeer.Is(e, "ping") && JsPeer.Str(e, "peer") == inline.PeerId.ToString(), s_step);
        Assert.DoesNotContain(_js.Events, e => JsPeer.Is(e, "error"));
    }

    [Fact]
    public async Task EchoStreams_BothDirections_MegabytesThroughYamuxWindows()
    {
        // Arrange: js dials us; both sides serve an echo protocol.
        const string echo = "/slips/test/echo/1.0.0";
        _host.SetStreamHandler(echo, async (s, ct) =>
        {
            while (true)
            {
                var r = await s.Input.ReadAsync(ct);
                foreach (var seg in r.Buffer) await s.Output.WriteAsync(seg, ct);
                s.Input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted) break;
            }
        });
        var opened = new TaskCompletionSource<Libp2pConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.ConnectionOpened += (_, c) => opened.TrySetResult(c);
        var addr = await _host.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Ct).WaitAsync(s_step, Ct);
        _js = await JsPeer.StartAsync($"--no-pubsub --dial {addr.WithPeerId(_host.PeerId)}");
        var conn = await opened.Task.WaitAsync(s_step, Ct);

        // Act 1: we open 6 streams to js and push 1 MiB through each (4x the 256 KiB window).
        var rng = new Random(5);
        var sends = Enumerable.Range(0, 6).Select(async _ =>
        {
            var payload = new byte[1024 * 1024];
            lock (rng) rng.NextBytes(payload);
            var s = await conn.OpenStreamAsync(echo, Ct);
            await using (s)
            {
                var writing = Task.Run(async () =>
                {
                    await s.Output.WriteAsync(payload, Ct);
                    await s.Output.CompleteAsync();
                }, Ct);
                var back = new MemoryStream();
                while (true)
                {
                    var r = await s.Input.ReadAsync(Ct);
                    foreach (var seg in r.Buffer) back.Write(seg.Span);
                    s.Input.AdvanceTo(r.Buffer.End);
                    if (r.IsCompleted) break;
                }

                await writing;
                Assert.Equal(payload, back.ToArray());
            }
        });
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        // Act 2: js opens 4 streams to us and pushes 1 MiB through each.
        await _js.SendAsync($"echo {_host.PeerId} {1024 * 1024} 4");
        var result = await _js.WaitForAsync(e => JsPeer.Is(e, "echo") || JsPeer.Is(e, "error"), TimeSpan.FromSeconds(60));

        // Assert
        Assert.True(JsPeer.Is(result, "echo") && result.GetProperty("ok").GetBoolean(), result.GetRawText());
        Assert.False(conn.IsClosed);
        Assert.DoesNotContain(_js.Events, e => JsPeer.Is(e, "error") || JsPeer.Is(e, "connection:close"));
    }

    [Fact]
    public async Task Close_EitherSide_OtherSideSeesConnectionClose()
    {
        // Arrange
        var opened = new List<Libp2pConnection>();
        var closedCount = 0;
        var closedSignal = new SemaphoreSlim(0);
        _host.ConnectionOpened += (_, c) =>
        {
            lock (opened) opened.Add(c);
        };
        _host.ConnectionClosed += (_, _) =>
        {
            Interlocked.Increment(ref closedCount);
            closedSignal.Release();
        };
        _js = await JsPeer.StartAsync("--no-pubsub --seed alice");

        // Act 1: we dial and then close (GoAway + FIN); js must notice.
        var conn = await _host.DialAsync(Multiaddr.Parse(_js.ListenAddress), Ct).WaitAsync(s_step, Ct);
        await conn.Identified.WaitAsync(s_step, Ct);
        await conn.CloseAsync().AsTask().WaitAsync(s_step, Ct);
        await _js.WaitForAsync(EventFor("connection:close"), s_step);
        Assert.True(await closedSignal.WaitAsync(s_step, Ct));

        // Act 2: js dials us and hangs up; we must notice.
        var addr = await _host.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Ct).WaitAsync(s_step, Ct);
        await _js.SendAsync($"dial {addr.WithPeerId(_host.PeerId)}");
        await _js.WaitForAsync(e => JsPeer.Is(e, "dialed"), s_step);
        await _js.SendAsync($"hangup {_host.PeerId}");
        await _js.WaitForAsync(e => JsPeer.Is(e, "hungup"), s_step);
        Assert.True(await closedSignal.WaitAsync(s_step, Ct));

        // Assert
        Assert.Equal(2, Volatile.Read(ref closedCount));
        Assert.Equal(0, _host.Connections.Count);
        Assert.DoesNotContain(_js.Events, e => JsPeer.Is(e, "error"));
    }

    [Fact]
    public async Task JsConnection_Over65Seconds_StaysOpenWithMonitorPingsAnswered()
    {
        // Arrange: js dials us and then only its keep-alive machinery runs (connection monitor every 10 s,
        // yamux ping every 30 s). A failed ping would make js abort the connection.
        var opened = new TaskCompletionSource<Libp2pConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.ConnectionOpened += (_, c) => opened.TrySetResult(c);
        _host.ConnectionClosed += (_, _) => closed.TrySetResult();
        var addr = await _host.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Ct).WaitAsync(s_step, Ct);
        _js = await JsPeer.StartAsync($"--dial {addr.WithPeerId(_host.PeerId)}");
        var conn = await opened.Task.WaitAsync(s_step, Ct);

        // Act: wait 65 s, failing early if the connection drops.
        var finished = await Task.WhenAny(closed.Task, Task.Delay(TimeSpan.FromSeconds(65), Ct));

        // Assert
        Assert.NotSame(closed.Task, finished);
        Assert.False(conn.IsClosed);
        Assert.True(Volatile.Read(ref _inboundPings) >= 4, $"only {_inboundPings} connection-monitor pings seen");
        await _js.SendAsync("peers");
        var peers = await _js.WaitForAsync(e => JsPeer.Is(e, "peers"), s_step);
        Assert.Contains(peers.GetProperty("peers").EnumerateArray(), p => JsPeer.Str(p, "peer") == _host.PeerId.ToString() && JsPeer.Str(p, "status") == "open");
        Assert.DoesNotContain(_js.Events, e => JsPeer.Is(e, "connection:close"));
    }
}

using System.Collections.Concurrent;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Tests.Transport;

/// <summary>
/// One connection per peer: parallel dials share one connection; a simultaneous open keeps, on both sides, the
/// connection dialed by the smaller peer id; the other is drained (its streams in use finish) and closed.
/// </summary>
public sealed class DialDedupTests : IAsyncLifetime
{
    private const string Hold = "/test/hold/1.0.0";
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(20);
    private readonly List<IAsyncDisposable> _cleanup = [];
    private Libp2pHost _low = null!;
    private Libp2pHost _high = null!;

    public async ValueTask InitializeAsync()
    {
        // Two hosts whose peer ids are ordered: _low's multihash sorts first.
        var k1 = Ed25519KeyPair.Generate();
        var k2 = Ed25519KeyPair.Generate();
        bool firstIsLow = k1.PeerId.ToByteArray().AsSpan().SequenceCompareTo(k2.PeerId.ToByteArray()) < 0;
        _low = NewHost(firstIsLow ? k1 : k2);
        _high = NewHost(firstIsLow ? k2 : k1);
        await _low.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Ct).DefaultTimeout();
        await _high.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Ct).DefaultTimeout();
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _cleanup.Count - 1; i >= 0; i--) await _cleanup[i].DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Libp2pHost NewHost(Ed25519KeyPair key)
    {
        var host = new Libp2pHost(key);
        host.SetStreamHandler(Hold, EchoUntilEndAsync);
        _cleanup.Add(new KeyOwner(key));
        _cleanup.Add(host);
        return host;
    }

    private static Multiaddr AddressOf(Libp2pHost h, bool withPeerId) =>
        withPeerId ? h.ListenAddresses[0].WithPeerId(h.PeerId) : h.ListenAddresses[0];

    [Fact]
    public async Task DialAsync_ParallelDialsToOnePeer_ShareOneConnection()
    {
        var dials = new List<Task<Libp2pConnection>>();
        for (int i = 0; i < 8; i++) dials.Add(_low.DialAsync(AddressOf(_high, withPeerId: true), Ct));

        var connections = await Task.WhenAll(dials).WaitAsync(s_step, Ct);

        Assert.All(connections, c => Assert.Same(connections[0], c));
        Assert.Single(_low.Connections.GetConnections(_high.PeerId));
    }

    [Theory]
    [InlineData(true)]  // addresses with /p2p: the realistic case (a dial that comes second may reuse the first)
    [InlineData(false)] // without /p2p every dial makes a new connection: a duplicate every round
    public async Task DialAsync_BothSidesDialAtOnceManyTimes_BothKeepTheSameSingleConnection(bool withPeerId)
    {
        for (int round = 0; round < 12; round++)
        {
            // Act: both dial each other at the same moment.
            await Task.WhenAll(
                Task.Run(() => _low.DialAsync(AddressOf(_high, withPeerId), Ct), Ct),
                Task.Run(() => _high.DialAsync(AddressOf(_low, withPeerId), Ct), Ct)).WaitAsync(s_step, Ct);

            // Assert: each side ends with one connection, and it is the same TCP connection: the one _low dialed
            // whenever _low dialed one that survived the upgrade (the smaller peer id wins). Each DialAsync returns
            // when its own outbound connection is up, possibly before the other side's dial has arrived as inbound:
            // one connection each, both outbound, is that passing moment, so wait for the state to settle.
            await WaitUntilAsync(() => _low.Connections.GetConnections(_high.PeerId) is [var l]
                && _high.Connections.GetConnections(_low.PeerId) is [var h] && l.Direction != h.Direction,
                $"round {round}: one shared connection on each side");
            var atLow = _low.Connections.GetConnections(_high.PeerId)[0];
            var atHigh = _high.Connections.GetConnections(_low.PeerId)[0];
            Assert.NotEqual(atLow.Direction, atHigh.Direction);
            var (dialer, listener) = atLow.Direction == ConnectionDirection.Outbound ? (atLow, atHigh) : (atHigh, atLow);
            Assert.Equal(EndPoint(dialer.LocalAddress!, dialer, local: true), EndPoint(listener.RemoteAddress, listener, local: false));
            if (!withPeerId) Assert.Equal(ConnectionDirection.Outbound, atLow.Direction);
            await atLow.PingAsync(Ct).WaitAsync(s_step, Ct);

            // Next round from a clean state.
            await atLow.CloseAsync().AsTask().WaitAsync(s_step, Ct);
            await WaitUntilAsync(() => _low.Connections.Count == 0 && _high.Connections.Count == 0, $"round {round}: closed on both sides", Registered);
        }
    }

    [Fact]
    public async Task Duplicate_StreamInUseOnTheLosingConnection_FinishesThenThatConnectionCloses()
    {
        // Arrange: _high dials first (it will lose: _low's id is smaller) and keeps a stream open on that connection.
        var losing = await _high.DialAsync(AddressOf(_low, withPeerId: true), Ct).WaitAsync(s_step, Ct);
        var stream = await losing.OpenStreamAsync(Hold, Ct).WaitAsync(s_step, Ct);
        Assert.Equal("one"u8.ToArray(), await RoundTripAsync(stream, "one"u8.ToArray()));

        // Act: _low dials too (no /p2p, so no reuse): the duplicate _low initiated wins on both sides.
        var winning = await _low.DialAsync(AddressOf(_high, withPeerId: false), Ct).WaitAsync(s_step, Ct);
        await WaitUntilAsync(() => _high.IsSuperseded(losing), "_high sees its connection superseded");

        // Assert: new streams go to the winner, the stream in use still works, and the loser closes once it ends.
        Assert.Same(winning, _low.PreferredConnection(_high.PeerId));
        Assert.NotSame(losing, _high.PreferredConnection(_low.PeerId));
        Assert.False(losing.IsClosed);
        Assert.Equal("two"u8.ToArray(), await RoundTripAsync(stream, "two"u8.ToArray()));
        await stream.Output.CompleteAsync();
        Assert.Empty(await PipeIo.ReadToEndAsync(stream.Input).WaitAsync(s_step, Ct));
        await stream.DisposeAsync();
        await losing.Completion.WaitAsync(s_step, Ct);
        await WaitUntilAsync(() => _low.Connections.GetConnections(_high.PeerId).Count == 1
            && _high.Connections.GetConnections(_low.PeerId).Count == 1, "one connection left on each side");
        Assert.Same(winning, _low.Connections.GetConnections(_high.PeerId)[0]);
        await winning.PingAsync(Ct).WaitAsync(s_step, Ct);
    }

    [Fact]
    public async Task Duplicate_ClosedByTheWinnerBeforeItsUpgradeReturnsOnTheOtherSide_IsNeverRegistered()
    {
        // Arrange: _low's connection is up on both sides; it is the one both keep.
        var kept = await _low.DialAsync(AddressOf(_high, withPeerId: false), Ct).WaitAsync(s_step, Ct);
        await WaitUntilAsync(() => _high.Connections.GetConnections(_low.PeerId).Count == 1, "_high registers _low's connection");

        // The late-upgrade ordering a loaded machine produces now and then, forced: _high's duplicate is up on _high
        // (the dialer finishes first), loses there and is closed, while on _low (the listener) its upgrade has not yet
        // returned. ConnectionOpened is raised at the upgrade's last step, before the connection is registered; the
        // handler holds that step until _low has handled the duplicate's close (ConnectionClosed).
        var closed = new ConcurrentDictionary<long, TaskCompletionSource>();
        TaskCompletionSource ClosedSignal(long id) => closed.GetOrAdd(id, static _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        Libp2pConnection? late = null;
        bool heldUntilClosed = false;
        _low.ConnectionClosed += (_, c) => ClosedSignal(c.Id).TrySetResult();
        _low.ConnectionOpened += (_, c) =>
        {
            if (c.Direction != ConnectionDirection.Inbound || Interlocked.CompareExchange(ref late, c, null) is not null) return;
            heldUntilClosed = ClosedSignal(c.Id).Task.Wait(s_step, Ct);
        };

        // Act: _high dials too (no /p2p, so no reuse).
        var returned = await _high.DialAsync(AddressOf(_low, withPeerId: false), Ct).WaitAsync(s_step, Ct);

        // Assert: the duplicate closed before _low registered it, and _low does not keep it: one connection on each
        // side, the kept one, and nothing left once that closes.
        await WaitUntilAsync(() => Volatile.Read(ref late) is not null && Volatile.Read(ref heldUntilClosed), "_low's upgrade of the duplicate held until it closed");
        Assert.Equal(ConnectionDirection.Inbound, returned.Direction);
        Assert.True(late!.IsClosed);
        await WaitUntilAsync(() => _low.Connections.Count == 1 && _high.Connections.Count == 1, "one connection registered on each side", Registered);
        Assert.Same(kept, _low.Connections.Snapshot()[0]);
        await kept.PingAsync(Ct).WaitAsync(s_step, Ct);
        await kept.CloseAsync().AsTask().WaitAsync(s_step, Ct);
        await WaitUntilAsync(() => _low.Connections.Count == 0 && _high.Connections.Count == 0, "closed on both sides", Registered);
    }

    private static string EndPoint(Multiaddr address, Libp2pConnection c, bool local)
    {
        Assert.True(address.TryGetTcpTarget(out string host, out int port, out _), $"{(local ? "local" : "remote")} address of {c}");
        return host + ":" + port;
    }

    private static async Task<byte[]> RoundTripAsync(Libp2pStream stream, byte[] payload)
    {
        await stream.Output.WriteAsync(payload, Ct).AsTask().WaitAsync(s_step, Ct);
        return await PipeIo.ReadExactlyAsync(stream.Input, payload.Length).WaitAsync(s_step, Ct);
    }

    // Echoes every chunk until the other side ends its half.
    private static async Task EchoUntilEndAsync(Libp2pStream s, CancellationToken ct)
    {
        while (true)
        {
            var r = await s.Input.ReadAsync(ct);
            foreach (var segment in r.Buffer) await s.Output.WriteAsync(segment, ct);
            s.Input.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) break;
        }

        await s.Output.CompleteAsync();
    }

    // What each host still has registered, for a failure message.
    private string Registered() => $"_low holds [{Describe(_low)}], _high holds [{Describe(_high)}]";

    private static string Describe(Libp2pHost host)
    {
        var parts = new List<string>();
        foreach (var c in host.Connections.Snapshot())
        {
            parts.Add($"{c} closed={c.IsClosed} superseded={host.IsSuperseded(c)}");
        }

        return string.Join("; ", parts);
    }

    // Connection state changes on the hosts' own tasks: re-check on a short timer until it holds or the step ends.
    private static async Task WaitUntilAsync(Func<bool> condition, string what, Func<string>? state = null)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(s_step);
        try
        {
            while (!condition()) await timer.WaitForNextTickAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail($"timed out waiting for {what}{(state is null ? "" : ": " + state())}");
        }
    }

    private sealed class KeyOwner(Ed25519KeyPair key) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            key.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

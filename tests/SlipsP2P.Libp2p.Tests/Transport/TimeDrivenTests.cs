using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Transport;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Tests.Transport;

/// <summary>Keep-alive and idle handling with the clock driven by hand (FakeTimeProvider).</summary>
public class TimeDrivenTests
{
    private static async Task<YamuxHeader> ReadHeaderAsync(System.IO.Pipelines.PipeReader reader)
    {
        var bytes = await PipeIo.ReadExactlyAsync(reader, YamuxHeader.Size);
        Assert.Equal(OperationStatus.Done, YamuxHeader.TryRead(bytes, out var h, out _));
        return h;
    }

    [Fact]
    public async Task KeepAlive_PeerNeverAnswers_SessionClosesAfterPingTimeout()
    {
        // Arrange
        var time = new FakeTimeProvider();
        var (ours, raw) = DuplexPipePair.Create();
        await using var session = new YamuxSession(ours, isClient: true,
            new YamuxOptions { KeepAliveInterval = TimeSpan.FromSeconds(30), PingTimeout = TimeSpan.FromSeconds(10) }, timeProvider: time);
        session.Start();

        // Act: the interval elapses, a ping goes out, and nobody answers for the timeout.
        time.Advance(TimeSpan.FromSeconds(30));
        var ping = await ReadHeaderAsync(raw.Input);
        Assert.Equal(YamuxFrameType.Ping, ping.Type);
        Assert.Equal(YamuxFlags.Syn, ping.Flags);
        Assert.False(session.Completion.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));

        // Assert
        await session.Completion.DefaultTimeout();
        Assert.True(session.IsClosed);
    }

    [Fact]
    public async Task KeepAlive_PeerAnswers_SessionStaysOpen()
    {
        var time = new FakeTimeProvider();
        var (ours, raw) = DuplexPipePair.Create();
        await using var session = new YamuxSession(ours, isClient: true,
            new YamuxOptions { KeepAliveInterval = TimeSpan.FromSeconds(30), PingTimeout = TimeSpan.FromSeconds(10) }, timeProvider: time);
        session.Start();

        for (int round = 0; round < 3; round++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            var ping = await ReadHeaderAsync(raw.Input);
            var ack = new byte[YamuxHeader.Size];
            new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Ack, 0, ping.Length).Write(ack);
            await PipeIo.WriteAsync(raw.Output, ack);

            // Once the ACK is processed the in-flight ping is gone; then the timeout elapsing changes nothing.
            Assert.True(SpinWait.SpinUntil(() => !PingInFlight(session), TimeSpan.FromSeconds(5)));
            time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.False(session.Completion.IsCompleted);
    }

    private static bool PingInFlight(YamuxSession session)
    {
        var field = typeof(YamuxSession).GetField("_pings", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        return ((System.Collections.ICollection)field.GetValue(session)!).Count > 0;
    }

    [Fact]
    public async Task IdleTimeout_NoStreams_ConnectionClosedBySweep()
    {
        // Arrange: two hosts on in-memory pipes, no identify and no keep-alive, so nothing opens streams.
        var time = new FakeTimeProvider();
        var options = new Libp2pHostOptions
        {
            IdleTimeout = TimeSpan.FromMinutes(1),
            IdentifyOnConnect = false,
            Yamux = new YamuxOptions { KeepAliveInterval = TimeSpan.Zero },
        };
        using var ka = Ed25519KeyPair.Generate();
        using var kb = Ed25519KeyPair.Generate();
        await using var a = new Libp2pHost(ka, options, timeProvider: time);
        await using var b = new Libp2pHost(kb, new Libp2pHostOptions { IdleTimeout = TimeSpan.Zero, IdentifyOnConnect = false }, timeProvider: time);
        var (pa, pb) = DuplexPipePair.Create();
        var addr = Multiaddr.Parse("/ip4/127.0.0.1/tcp/9");
        var accept = b.UpgradeAsync(pb, ConnectionDirection.Inbound, addr, null, null, TestContext.Current.CancellationToken);
        var conn = await a.UpgradeAsync(pa, ConnectionDirection.Outbound, addr, kb.PeerId, null, TestContext.Current.CancellationToken).DefaultTimeout();
        var remote = await accept.DefaultTimeout();

        // Act: 50 s idle is not enough; past 60 s the sweep closes it.
        for (int i = 0; i < 5; i++) time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(conn.IsClosed);
        for (int i = 0; i < 3; i++) time.Advance(TimeSpan.FromSeconds(10));

        // Assert
        await conn.Completion.DefaultTimeout();
        await remote.Completion.DefaultTimeout();
        Assert.True(SpinWait.SpinUntil(() => a.Connections.Count == 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task MaxConnections_Reached_SecondDialRefused()
    {
        using var k1 = Ed25519KeyPair.Generate();
        using var k2 = Ed25519KeyPair.Generate();
        using var k3 = Ed25519KeyPair.Generate();
        await using var listener = new Libp2pHost(k1, new Libp2pHostOptions { MaxConnections = 1 });
        await using var d1 = new Libp2pHost(k2);
        await using var d2 = new Libp2pHost(k3);
        var addr = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), TestContext.Current.CancellationToken).DefaultTimeout();
        await d1.DialAsync(addr, TestContext.Current.CancellationToken).DefaultTimeout();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => d2.DialAsync(addr, TestContext.Current.CancellationToken)).DefaultTimeout();
        Assert.IsNotType<TimeoutException>(ex);
        Assert.Equal(1, listener.Connections.Count);
    }
}

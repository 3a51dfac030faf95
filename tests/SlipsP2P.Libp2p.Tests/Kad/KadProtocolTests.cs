using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery.Kad;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Node;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Tests.Kad;

/// <summary>The kad stream protocol between two real nodes: answers, bad input and peers without the DHT.</summary>
public sealed class KadProtocolTests : IAsyncLifetime
{
    private const string Protocol = "/slips/kad/1.0.0";
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(30);
    private readonly List<Libp2pNode> _nodes = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Libp2pNode> StartAsync(bool dht = true)
    {
        var options = new Libp2pNodeOptions { EnableDht = dht };
        options.Dht.ProtocolId = Protocol;
        var node = new Libp2pNode(options);
        _nodes.Add(node);
        await node.StartAsync(Ct).WaitAsync(s_step, Ct);
        return node;
    }

    [Fact]
    public async Task FindNodeAsync_ServerKnowsPeers_ReturnsThemWithAddressesExceptAsker()
    {
        var server = await StartAsync();
        var known = await StartAsync();
        var asker = await StartAsync();
        await known.ConnectAsync(server.Addresses[0], Ct).WaitAsync(s_step, Ct);
        await asker.ConnectAsync(server.Addresses[0], Ct).WaitAsync(s_step, Ct);

        // Identify puts both clients in the server's table (they advertise the protocol).
        var deadline = DateTime.UtcNow + s_step;
        while (server.Dht!.RoutingTable.Count < 2 && DateTime.UtcNow < deadline)
        {
            foreach (var c in server.Host.Connections.Snapshot()) await c.Identified.WaitAsync(s_step, Ct);

            // Identified completes just before the PeerIdentified handlers run: let them.
            await Task.Yield();
        }

        Assert.Equal(2, server.Dht!.RoutingTable.Count);

        var closer = await asker.Dht!.FindNodeAsync(server.PeerId, [], known.PeerId.ToByteArray(), Ct).WaitAsync(s_step, Ct);

        var entry = Assert.Single(closer);
        Assert.Equal(known.PeerId, entry.Peer);
        Assert.Contains(entry.Addresses, a => a.ToString() == known.Addresses[0].WithoutPeerId().ToString());
        Assert.Equal(KadConnectionType.Connected, entry.Connection);
    }

    [Fact]
    public async Task Inbound_GarbageRequest_StreamResetAndServerKeepsAnswering()
    {
        var server = await StartAsync();
        var client = await StartAsync();
        var conn = await client.Host.DialAsync(server.Addresses[0], Ct).WaitAsync(s_step, Ct);

        // A frame that is no kad Message (field 1 with wire type 7).
        var stream = await conn.OpenStreamAsync(Protocol, Ct).WaitAsync(s_step, Ct);
        await LengthPrefixed.WriteAsync(stream.Output, new byte[] { 0x0F, 0xFF, 0xFF }, Ct).AsTask().WaitAsync(s_step, Ct);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var answer = await LengthPrefixed.ReadAsync(stream.Input, KadMessage.MaxSize, Ct).AsTask().WaitAsync(s_step, Ct);
            if (answer is null) throw new EndOfStreamException("closed without an answer");
        });

        // An oversized length prefix is refused before anything is buffered.
        var big = await conn.OpenStreamAsync(Protocol, Ct).WaitAsync(s_step, Ct);
        var prefix = new byte[10];
        int n = Varint.Write((ulong)KadMessage.MaxSize + 1, prefix);
        await big.Output.WriteAsync(prefix.AsMemory(0, n), Ct).AsTask().WaitAsync(s_step, Ct);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var answer = await LengthPrefixed.ReadAsync(big.Input, KadMessage.MaxSize, Ct).AsTask().WaitAsync(s_step, Ct);
            if (answer is null) throw new EndOfStreamException("closed without an answer");
        });

        // The same connection still gets answers.
        var closer = await client.Dht!.FindNodeAsync(server.PeerId, [], client.PeerId.ToByteArray(), Ct).WaitAsync(s_step, Ct);
        Assert.Empty(closer);
        Assert.False(conn.IsClosed);
    }

    [Fact]
    public async Task LookupAsync_PeerWithoutDht_FailsThatPeerOnlyAndReturns()
    {
        var plain = await StartAsync(dht: false);
        var seeker = await StartAsync();
        // Put a peer that does not speak kad into the table by hand, as a stale entry would be.
        seeker.Dht!.AddPeer(plain.PeerId, [plain.Addresses[0].WithoutPeerId()]);
        using var key = Ed25519KeyPair.Generate();

        var found = await seeker.Dht.LookupAsync(key.PeerId, Ct).WaitAsync(s_step, Ct);

        Assert.Empty(found);
        Assert.Null(seeker.Dht.RoutingTable.Find(plain.PeerId));
    }

    [Fact]
    public async Task FindNodeAsync_UnreachablePeer_ThrowsNamingPeer()
    {
        var seeker = await StartAsync();
        using var key = Ed25519KeyPair.Generate();
        var ex = await Assert.ThrowsAsync<IOException>(() =>
            seeker.Dht!.FindNodeAsync(key.PeerId, [Multiaddr.Parse("/ip4/127.0.0.1/tcp/1")], [1], Ct).WaitAsync(s_step, Ct));
        Assert.Contains(key.PeerId.ToString(), ex.Message, StringComparison.Ordinal);
    }
}

using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Node;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Tests.Node;

/// <summary>
/// Gossipsub v1.1 peer exchange between three of our nodes on loopback: A keeps a mesh of one (C), so B's GRAFT is
/// answered by a PRUNE whose PX names C, and B dials C. B knows C's address only from its peer store and dials no
/// stored peer on its own (TargetPeers 0, no DHT), so only the exchange can make it connect to C.
/// </summary>
public sealed class PxTests() : NodeTestBase("px")
{
    private const string Topic = "slips/px/1";
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Prune_PeerExchangeFromPeerAboveThreshold_PrunedNodeDialsCandidate()
    {
        // Arrange: A with a mesh of one, C grafted in it; B accepts PX from peers scoring 0 or more.
        var (a, c) = await StartMeshOfOneAsync();
        var b = await StartAsync(o =>
        {
            o.DialAddresses.Add(a.Node.Addresses[0]);
            o.PeerStorePath = StoreKnowing(c);
            o.Gossipsub.Thresholds.AcceptPXThreshold = 0;
        });

        // Act: B grafts A (its mesh is empty); A prunes B with PX = {C}.
        await b.WaitUntilAsync(p => p.Connected.Contains(c.Node.PeerId), s_step, "b connects to c after the PRUNE");

        // Assert: B dialed C itself, because of the exchange.
        Assert.True(b.Node.PeerExchangeCandidates >= 1);
        var toC = b.Node.Host.Connections.GetConnections(c.Node.PeerId);
        Assert.Contains(toC, x => x.Direction == ConnectionDirection.Outbound);
    }

    [Fact]
    public async Task Prune_PeerExchangeCarriesSignedPeerRecord_PrunedNodeDialsCandidateItNeverKnew()
    {
        // Arrange: as above, but B's peer store is empty: C's addresses can only come from the signed peer record A
        // got from C through identify and passes on in the PRUNE (what a js node needs to dial a PX candidate).
        var (a, c) = await StartMeshOfOneAsync();
        var b = await StartAsync(o =>
        {
            o.DialAddresses.Add(a.Node.Addresses[0]);
            o.Gossipsub.Thresholds.AcceptPXThreshold = 0;
        });

        // Act: B grafts A; A prunes B with PX = {C and C's record}.
        await b.WaitUntilAsync(p => p.Connected.Contains(c.Node.PeerId), s_step, "b connects to c from the record in the PRUNE");

        // Assert: B dialed C itself.
        Assert.True(b.Node.PeerExchangeCandidates >= 1);
        Assert.Contains(b.Node.Host.Connections.GetConnections(c.Node.PeerId), x => x.Direction == ConnectionDirection.Outbound);
    }

    [Fact]
    public async Task Prune_PeerExchangeFromPeerBelowThreshold_CandidateIgnored()
    {
        // Arrange: as above, but B keeps the default AcceptPXThreshold (10), which a fresh peer's score (0) is below.
        var (a, c) = await StartMeshOfOneAsync();
        var b = await StartAsync(o =>
        {
            o.DialAddresses.Add(a.Node.Addresses[0]);
            o.PeerStorePath = StoreKnowing(c);
        });

        // Act: wait until B has processed A's PRUNE (A is then in B's backoff for the topic).
        await WaitForAsync(async () => (await b.Node.Pubsub.GetSnapshotAsync(Ct).WaitAsync(s_step, Ct)).Backoff.TryGetValue(Topic, out var bo)
            && bo.ContainsKey(a.Node.PeerId), "b is pruned by a");

        // Assert: the router passed no candidate on, so nothing was dialed.
        Assert.Equal(0, b.Node.PeerExchangeCandidates);
        Assert.False(b.Node.Host.Connections.IsConnected(c.Node.PeerId));
    }

    private async Task<(NodeProbe A, NodeProbe C)> StartMeshOfOneAsync()
    {
        var a = await StartAsync(o =>
        {
            o.Gossipsub.D = 1;
            o.Gossipsub.DLow = 1;
            o.Gossipsub.DHigh = 1;
            o.Gossipsub.DOut = 0;
            o.Gossipsub.DScore = 0;
        });
        var c = await StartAsync(o => o.DialAddresses.Add(a.Node.Addresses[0]));
        await WaitForAsync(async () => InMesh(await a.Node.Pubsub.GetSnapshotAsync(Ct).WaitAsync(s_step, Ct), c.Node.PeerId), "c in a's mesh");
        return (a, c);
    }

    // A peer store file that holds C's listen addresses.
    private string StoreKnowing(NodeProbe c)
    {
        string path = Path.Combine(Folder, Guid.NewGuid().ToString("N") + ".json");
        var store = new PeerStore(path);
        var bare = new List<Multiaddr>();
        foreach (var a in c.Node.Addresses) bare.Add(a.WithoutPeerId());
        store.AddOrUpdate(c.Node.PeerId, bare);
        store.Save();
        return path;
    }

    private static bool InMesh(GossipsubSnapshot s, PeerId peer) => s.Mesh.TryGetValue(Topic, out var mesh) && mesh.Contains(peer);

    private async Task<NodeProbe> StartAsync(Action<Libp2pNodeOptions> configure)
    {
        var options = new Libp2pNodeOptions();
        options.Topics.Add(Topic);
        options.Gossipsub.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
        options.EnableDht = false; // no lookup may connect B and C behind the exchange's back
        options.TargetPeers = 0;   // explicit dials only: no stored or discovered peer is dialed on its own
        configure(options);
        var node = new Libp2pNode(options);
        Track(node);
        var probe = new NodeProbe(node);
        await node.StartAsync(Ct).WaitAsync(s_step, Ct);
        return probe;
    }

    // Router state changes without a node event: poll it on a timer until the condition holds or the step ends.
    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(s_step);
        try
        {
            while (!await condition())
            {
                await timer.WaitForNextTickAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail($"timed out waiting for {what}");
        }
    }
}

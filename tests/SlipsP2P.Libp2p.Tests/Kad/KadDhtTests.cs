using System.Text;
using SlipsP2P.Libp2p.Node;
using SlipsP2P.Libp2p.Tests.Node;

namespace SlipsP2P.Libp2p.Tests.Kad;

public sealed class KadDhtTests : IAsyncLifetime
{
    private const string Topic = "slips/dht-test/1";
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(45);
    private readonly List<Libp2pNode> _nodes = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lookup_SixNodesKnowingOnlyNodeZero_AllFindEachOtherAndGossipReachesAll()
    {
        // Arrange: node 0, then five nodes that only know node 0, on a private DHT protocol id.
        var probes = new List<NodeProbe>();
        for (int i = 0; i < 6; i++)
        {
            var options = new Libp2pNodeOptions();
            options.Topics.Add(Topic);
            options.Dht.ProtocolId = "/slips/kad/1.0.0";
            options.Dht.RefreshInterval = TimeSpan.FromSeconds(2);
            if (i > 0) options.DialAddresses.Add(probes[0].Node.Addresses[0]);
            var node = new Libp2pNode(options);
            _nodes.Add(node);
            var probe = new NodeProbe(node);
            probes.Add(probe);
            await node.StartAsync(Ct).WaitAsync(s_step, Ct);
        }

        // Assert 1: every routing table holds the five others, and every node is connected to all of them.
        foreach (var p in probes)
        {
            await p.WaitUntilAsync(x => x.Node.Dht!.RoutingTable.Count == 5 && x.Connected.Count == 5, s_step,
                "routing table and connections with all five others");
            foreach (var other in probes)
            {
                if (other != p) Assert.NotNull(p.Node.Dht!.RoutingTable.Find(other.Node.PeerId));
            }
        }

        // Assert 2: every node has seen everyone's subscription, and a message from the last node reaches all.
        foreach (var p in probes) await p.WaitUntilAsync(x => x.Subscribed.Count(s => s.Topic == Topic) == 5, s_step, "five subscriptions");
        await probes[5].Node.PublishAsync(Topic, Encoding.UTF8.GetBytes("to everyone"), Ct).WaitAsync(s_step, Ct);
        for (int i = 0; i < 5; i++)
        {
            await probes[i].WaitUntilAsync(x => x.Messages.Any(m => m.Author == probes[5].Node.PeerId), s_step, "message from node 5");
        }
    }
}

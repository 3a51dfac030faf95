using System.Buffers.Binary;
using SlipsP2P.Libp2p.Gossipsub;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

/// <summary>
/// Publishes beyond the pending-publish budget wait in one queue and are signed in batches on all cores: they must
/// still go out in call order with increasing seqnos, and a cancelled publish must not block the ones behind it.
/// </summary>
public sealed class PublishQueueTests
{
    private const string Topic = "slips/publish/1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PublishAsync_BurstOverBudgetOfFour_AllSentInCallOrderWithIncreasingSeqnos()
    {
        // Arrange: a budget of 4 pending publishes, so nearly all of 600 calls are queued and signed in batches.
        await using var net = new InProcessNetwork();
        var r = net.AddRouter(new GossipsubOptions { VerificationWorkers = 2, MaxPendingPublishes = 4 });
        r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        await net.JoinAsync(r, Topic, x);
        x.Clear();

        // Act
        var publishes = new Task<PublishResult>[600];
        for (int i = 0; i < publishes.Length; i++) publishes[i] = r.Router.PublishAsync(Topic, BitConverter.GetBytes(i), Ct);
        await Task.WhenAll(publishes).WaitAsync(InProcessNetwork.Timeout, Ct);
        await net.SettleAsync();

        // Assert
        var sent = x.Messages.ToList();
        Assert.Equal(Enumerable.Range(0, publishes.Length), sent.Select(m => BitConverter.ToInt32(m.Data)));
        var seqnos = sent.Select(m => BinaryPrimitives.ReadUInt64BigEndian(m.Seqno)).ToList();
        Assert.Equal(seqnos.Order(), seqnos);
        Assert.Equal(seqnos.Count, seqnos.Distinct().Count());
        Assert.True(r.Router.Counters.PublishWaits > 0, "no publish was queued");
        Assert.All(publishes, p => Assert.Equal(1, p.Result.Peers));
    }

    [Fact]
    public async Task PublishAsync_QueuedPublishCancelled_CancelledAndTheOnesBehindItStillRouted()
    {
        // Arrange: a router not started yet, with a budget of 1: the first publish is posted and holds the only
        // credit until the loop runs, so the next ones stay queued.
        await using var net = new InProcessNetwork();
        using var key = SlipsP2P.Libp2p.Crypto.Ed25519KeyPair.Generate();
        var node = new RouterNode(net, key, new GossipsubOptions { VerificationWorkers = 1, MaxPendingPublishes = 1 });
        try
        {
            var first = node.Router.PublishAsync(Topic, "1"u8.ToArray(), Ct);
            var second = node.Router.PublishAsync(Topic, "2"u8.ToArray(), Ct);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var third = node.Router.PublishAsync(Topic, "3"u8.ToArray(), cancel.Token);
            var fourth = node.Router.PublishAsync(Topic, "4"u8.ToArray(), Ct);

            // Act
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third).WaitAsync(InProcessNetwork.Timeout, Ct);
            node.Router.Start();
            var routed = await Task.WhenAll(first, second, fourth).WaitAsync(InProcessNetwork.Timeout, Ct);

            // Assert: the queued ones were signed after the first, in call order.
            var seqnos = routed.Select(p => BinaryPrimitives.ReadUInt64BigEndian(p.Id.Span[^8..])).ToList();
            Assert.Equal(seqnos.Order(), seqnos);
            Assert.Equal(3, node.Router.Counters.PublishWaits);
        }
        finally
        {
            await node.Router.DisposeAsync();
        }
    }
}

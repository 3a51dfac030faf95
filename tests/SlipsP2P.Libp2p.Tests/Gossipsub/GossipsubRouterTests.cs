using System.Text;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

public sealed class GossipsubRouterTests
{
    private const string Topic = "slips/test/1";
    private static readonly TimeSpan s_timeout = InProcessNetwork.Timeout;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<ReceivedMessage>> DrainAsync(Subscription sub)
    {
        var list = new List<ReceivedMessage>();
        while (sub.Messages.TryRead(out var m)) list.Add(m);
        await Task.CompletedTask;
        return list;
    }

    [Fact]
    public async Task Heartbeat_TwentyConnectedRouters_MeshWithinDLowDHigh()
    {
        await using var net = new InProcessNetwork();
        var nodes = Enumerable.Range(0, 20).Select(_ => net.AddRouter()).ToList();
        for (int i = 0; i < nodes.Count; i++)
        {
            for (int j = i + 1; j < nodes.Count; j++) net.Connect(nodes[i], nodes[j]);
        }

        foreach (var n in nodes) n.Router.Subscribe(Topic);
        await net.SettleAsync();

        await net.HeartbeatsAsync(5);

        foreach (var n in nodes)
        {
            var snap = await n.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
            int size = snap.Mesh[Topic].Count;
            Assert.InRange(size, n.Router.Options.DLow, n.Router.Options.DHigh);
            Assert.Equal(19, snap.TopicPeers[Topic].Count);
        }
    }

    [Fact]
    public async Task Publish_LineOfThreeRouters_ForwardedToTheFarEnd()
    {
        await using var net = new InProcessNetwork();
        var a = net.AddRouter();
        var b = net.AddRouter();
        var c = net.AddRouter();
        net.Connect(a, b);
        net.Connect(b, c);
        var subB = b.Router.Subscribe(Topic);
        var subC = c.Router.Subscribe(Topic);
        a.Router.Subscribe(Topic);
        await net.SettleAsync();
        await net.HeartbeatsAsync(1);

        var result = await a.Router.PublishAsync(Topic, "hello"u8.ToArray(), Ct).WaitAsync(s_timeout, Ct);
        await net.SettleAsync();

        Assert.Equal(1, result.Peers);
        var atC = Assert.Single(await DrainAsync(subC));
        Assert.Equal("hello", Encoding.UTF8.GetString(atC.Data.Span));
        Assert.Equal(a.Id, atC.Author);
        Assert.Equal(b.Id, atC.ReceivedFrom);
        Assert.Single(await DrainAsync(subB));
    }

    [Fact]
    public async Task Publish_FloodPublish_ReachesNonMeshSubscribers()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe(Topic);
        var peers = Enumerable.Range(0, 10).Select(_ => net.AddRawPeer()).ToList();
        foreach (var p in peers)
        {
            net.Connect(p, r);
            p.Subscribe(r, Topic);
        }

        await net.SettleAsync();
        await net.HeartbeatsAsync(1);
        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);

        var result = await r.Router.PublishAsync(Topic, "x"u8.ToArray(), Ct).WaitAsync(s_timeout, Ct);
        await net.SettleAsync();

        Assert.Equal(r.Router.Options.D, snap.Mesh[Topic].Count);
        Assert.Equal(10, result.Peers);
        Assert.All(peers, p => Assert.Single(p.Messages));
        // every received copy carries a valid StrictSign signature with key
        Assert.All(peers, p => Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(p.Messages.Single(), out _)));
    }

    [Fact]
    public async Task Publish_FloodPublishOff_OnlyMeshPeersReceive()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter(new GossipsubOptions { FloodPublish = false, VerificationWorkers = 2 });
        r.Router.Subscribe(Topic);
        var peers = Enumerable.Range(0, 10).Select(_ => net.AddRawPeer()).ToList();
        foreach (var p in peers)
        {
            net.Connect(p, r);
            p.Subscribe(r, Topic);
        }

        await net.SettleAsync();
        await net.HeartbeatsAsync(1);

        var result = await r.Router.PublishAsync(Topic, "x"u8.ToArray(), Ct).WaitAsync(s_timeout, Ct);
        await net.SettleAsync();

        Assert.Equal(6, result.Peers);
        Assert.Equal(6, peers.Count(p => p.Messages.Any()));
    }

    [Fact]
    public async Task HandleRpc_SameMessageFromTwoPeers_DeliveredOnceAndCountedDuplicate()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        var sub = r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        var y = net.AddRawPeer();
        var z = net.AddRawPeer();
        foreach (var p in new[] { x, y, z })
        {
            net.Connect(p, r);
            p.Subscribe(r, Topic);
        }

        await net.SettleAsync();
        await net.HeartbeatsAsync(1);
        var m = PubsubSigning.CreateSigned(x.Key, Topic, "dup"u8, 1);

        x.Publish(r, m);
        y.Publish(r, m);
        await net.SettleAsync();
        x.Publish(r, m);
        await net.SettleAsync();

        Assert.Single(await DrainAsync(sub));
        Assert.Equal(2, r.Router.Counters.Duplicates);
        // forwarded once to z, never back to its senders
        Assert.Single(z.Messages);
        Assert.Empty(x.Messages);
        Assert.Empty(y.Messages);
    }

    [Fact]
    public async Task HandleRpc_InvalidSignature_RejectedNotForwardedAndScored()
    {
        await using var net = new InProcessNetwork();
        var options = new GossipsubOptions { VerificationWorkers = 2 };
        options.Score.Topics[Topic] = new TopicScoreParams();
        var r = net.AddRouter(options);
        var sub = r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        var y = net.AddRawPeer();
        await net.JoinAsync(r, Topic, x, y);
        var m = PubsubSigning.CreateSigned(x.Key, Topic, "good"u8, 1);
        m.Data = "evil"u8.ToArray();

        x.Publish(r, m);
        await net.SettleAsync();

        Assert.Empty(await DrainAsync(sub));
        Assert.Equal(1, r.Router.Counters.Invalid);
        Assert.Empty(y.Messages);
        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        Assert.True(snap.Scores[x.Id] < 0, $"score {snap.Scores[x.Id]}");
        Assert.Equal(0, snap.Scores[y.Id]);
    }

    [Fact]
    public async Task HandleRpc_GraylistedPeer_Ignored()
    {
        await using var net = new InProcessNetwork();
        var x = net.AddRawPeer();
        var options = new GossipsubOptions { VerificationWorkers = 2 };
        options.Score.AppSpecificScore = p => p == x.Id ? -10 : 0; // x10 weight = -100 < graylist -80
        var r = net.AddRouter(options);
        var sub = r.Router.Subscribe(Topic);
        net.Connect(x, r);

        x.Subscribe(r, Topic);
        x.Publish(r, PubsubSigning.CreateSigned(x.Key, Topic, "hi"u8, 1));
        await net.SettleAsync();

        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        Assert.False(snap.TopicPeers.ContainsKey(Topic));
        Assert.Empty(await DrainAsync(sub));
        Assert.Equal(2, r.Router.Counters.GraylistedRpcs);
    }

    [Fact]
    public async Task Graft_DuringBackoff_PrunedPenalisedAndNotRegraftedUntilExpiry()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        net.Connect(x, r);
        x.Subscribe(r, Topic);
        await net.SettleAsync();
        await net.HeartbeatsAsync(1);
        Assert.Contains(x.Id, (await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct)).Mesh[Topic]);

        // x prunes us with a 60 s backoff, then grafts right away (a graft flood)
        x.Prune(r, Topic, 60);
        await net.SettleAsync();
        x.Clear();
        x.Graft(r, Topic);
        await net.SettleAsync();

        var prune = Assert.Single(x.Controls.SelectMany(c => c.Prune));
        Assert.Equal(Topic, prune.TopicId);
        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        Assert.DoesNotContain(x.Id, snap.Mesh[Topic]);
        Assert.Equal(2, snap.BehaviourPenalties[x.Id]);

        // heartbeats inside the backoff never graft x, although the mesh is below D_lo
        x.Clear();
        await net.HeartbeatsAsync(30);
        Assert.Empty(x.Controls.SelectMany(c => c.Graft));

        // after backoff (60 s from the flood-prune) plus slack, the heartbeat grafts x again
        await net.HeartbeatsAsync(35);
        Assert.NotEmpty(x.Controls.SelectMany(c => c.Graft));
        Assert.Contains(x.Id, (await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct)).Mesh[Topic]);
    }

    [Fact]
    public async Task IHave_UnseenId_IWantSentAndMessageRecovered()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        var sub = r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        net.Connect(x, r);
        x.Subscribe(r, Topic);
        await net.SettleAsync();
        var m = PubsubSigning.CreateSigned(x.Key, Topic, "gossip"u8, 42);
        var id = MessageIds.JsDefault(m);
        x.Clear();

        var ihave = new PubsubRpc { Control = new ControlMessage() };
        var have = new ControlIHave { TopicId = Topic };
        have.MessageIds.Add(id.Bytes);
        ihave.Control.IHave.Add(have);
        x.Send(r, ihave);
        await net.SettleAsync();

        var iwant = Assert.Single(x.Controls.SelectMany(c => c.IWant));
        Assert.Equal(id.Bytes, Assert.Single(iwant.MessageIds));

        x.Publish(r, m);
        await net.SettleAsync();
        await net.HeartbeatsAsync(5);

        var got = Assert.Single(await DrainAsync(sub));
        Assert.Equal(id, got.Id);
        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        Assert.Equal(0, snap.BehaviourPenalties[x.Id]); // promise kept
    }

    [Fact]
    public async Task IHave_PromiseNotKept_BehaviourPenalty()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        net.Connect(x, r);
        x.Subscribe(r, Topic);
        await net.SettleAsync();

        var ihave = new PubsubRpc { Control = new ControlMessage() };
        var have = new ControlIHave { TopicId = Topic };
        have.MessageIds.Add(new byte[44]);
        ihave.Control.IHave.Add(have);
        x.Send(r, ihave);
        await net.SettleAsync();
        Assert.Single(x.Controls.SelectMany(c => c.IWant));
        await net.HeartbeatsAsync(2);
        var before = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        await net.HeartbeatsAsync(1); // IWANT follow-up time (3 s) is up

        var after = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        Assert.Equal(0, before.BehaviourPenalties[x.Id]);
        Assert.Equal(1, after.BehaviourPenalties[x.Id]);
    }

    [Fact]
    public async Task Score_ElevenPeersOnOneIp_ColocationPenaltyBelowZero()
    {
        await using var net = new InProcessNetwork { WhitelistLoopback = false };
        var r = net.AddRouter();
        var peers = Enumerable.Range(0, 12).Select(_ => net.AddRawPeer()).ToList();
        foreach (var p in peers) net.Connect(p, r);
        await net.SettleAsync();

        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);

        // (12 - 10)^2 * -5 = -20 (js defaults), below the gossip threshold
        Assert.All(peers, p => Assert.Equal(-20, snap.Scores[p.Id]));
    }

    [Fact]
    public async Task IWant_CachedMessage_ServedUpToRetransmissionLimit()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        net.Connect(x, r);
        await net.SettleAsync();
        var published = await r.Router.PublishAsync(Topic, "cached"u8.ToArray(), Ct).WaitAsync(s_timeout, Ct);
        await net.SettleAsync();

        for (int i = 0; i < 5; i++)
        {
            var rpc = new PubsubRpc { Control = new ControlMessage() };
            var want = new ControlIWant();
            want.MessageIds.Add(published.Id.Bytes);
            rpc.Control.IWant.Add(want);
            x.Send(r, rpc);
            await net.SettleAsync();
        }

        Assert.Equal(r.Router.Options.GossipRetransmission, x.Messages.Count());
        Assert.Equal("cached", Encoding.UTF8.GetString(x.Messages.First().Data!));
    }

    [Fact]
    public async Task Heartbeat_GossipsIHaveToNonMeshPeers()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter(new GossipsubOptions { D = 2, DLow = 1, DHigh = 3, DScore = 1, DOut = 0, DLazy = 6, VerificationWorkers = 2 });
        r.Router.Subscribe(Topic);
        var peers = Enumerable.Range(0, 5).Select(_ => net.AddRawPeer()).ToList();
        foreach (var p in peers)
        {
            net.Connect(p, r);
            p.Subscribe(r, Topic);
        }

        await net.SettleAsync();
        await net.HeartbeatsAsync(1);
        var mesh = (await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct)).Mesh[Topic];
        var published = await r.Router.PublishAsync(Topic, "g"u8.ToArray(), Ct).WaitAsync(s_timeout, Ct);
        await net.SettleAsync();
        foreach (var p in peers) p.Clear();

        await net.HeartbeatsAsync(1);

        foreach (var p in peers)
        {
            var ids = p.Controls.SelectMany(c => c.IHave).SelectMany(h => h.MessageIds).ToList();
            if (mesh.Contains(p.Id)) Assert.Empty(ids);
            else Assert.Contains(ids, b => b.AsSpan().SequenceEqual(published.Id.Bytes));
        }
    }

    [Fact]
    public async Task Heartbeat_MeshAboveDHigh_PrunedToDWithPeerExchange()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe(Topic);
        var peers = Enumerable.Range(0, 16).Select(_ => net.AddRawPeer()).ToList();
        foreach (var p in peers)
        {
            net.Connect(r, p); // r dialed: outbound peers are accepted beyond D_hi
            p.Subscribe(r, Topic);
        }

        await net.SettleAsync();
        foreach (var p in peers) p.Graft(r, Topic);
        await net.SettleAsync();
        Assert.Equal(16, (await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct)).Mesh[Topic].Count);

        await net.HeartbeatsAsync(1);

        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        Assert.Equal(r.Router.Options.D, snap.Mesh[Topic].Count);
        var pruned = peers.Where(p => p.Controls.Any(c => c.Prune.Count > 0)).ToList();
        Assert.Equal(10, pruned.Count);
        var prune = pruned[0].Controls.SelectMany(c => c.Prune).First();
        Assert.Equal(60UL, prune.Backoff);
        Assert.NotEmpty(prune.Peers);
    }

    [Fact]
    public async Task Graft_InboundPeersBeyondDHigh_PrunedOnArrival()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe(Topic);
        var peers = Enumerable.Range(0, 14).Select(_ => net.AddRawPeer()).ToList();
        foreach (var p in peers)
        {
            net.Connect(p, r);
            p.Subscribe(r, Topic);
        }

        await net.SettleAsync();
        foreach (var p in peers)
        {
            p.Graft(r, Topic);
            await net.SettleAsync();
        }

        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        Assert.Equal(r.Router.Options.DHigh, snap.Mesh[Topic].Count);
        Assert.Equal(2, peers.Count(p => p.Controls.Any(c => c.Prune.Count > 0)));
    }

    [Fact]
    public async Task Prune_FromWellScoredPeer_PeerExchangeOffered()
    {
        await using var net = new InProcessNetwork();
        var x = net.AddRawPeer();
        var options = new GossipsubOptions { VerificationWorkers = 2 };
        options.Score.AppSpecificScore = p => p == x.Id ? 2 : 0; // 20 >= acceptPX 10
        var r = net.AddRouter(options);
        r.Router.Subscribe(Topic);
        net.Connect(x, r);
        x.Subscribe(r, Topic);
        await net.SettleAsync();
        using var other = SlipsP2P.Libp2p.Crypto.Ed25519KeyPair.Generate();

        var rpc = new PubsubRpc { Control = new ControlMessage() };
        var prune = new ControlPrune { TopicId = Topic, Backoff = 5 };
        prune.Peers.Add(new PeerInfo { PeerId = other.PeerId.ToByteArray(), SignedPeerRecord = [1, 2, 3] });
        prune.Peers.Add(new PeerInfo { PeerId = [0xde, 0xad] }); // malformed: ignored
        rpc.Control.Prune.Add(prune);
        x.Send(r, rpc);
        await net.SettleAsync();

        Assert.Equal(other.PeerId, Assert.Single(r.PeerExchange));
        var snap = await r.Router.GetSnapshotAsync(Ct).WaitAsync(s_timeout, Ct);
        Assert.True(snap.Backoff[Topic][x.Id] > net.Time.GetUtcNow());
    }

    [Fact]
    public async Task Forward_FloodsubPeer_GetsMessagesButNoControl()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe(Topic);
        var flood = net.AddRawPeer();
        var mesh = net.AddRawPeer();
        net.Connect(flood, r, PubsubProtocol.Floodsub);
        net.Connect(mesh, r);
        flood.Subscribe(r, Topic);
        mesh.Subscribe(r, Topic);
        await net.SettleAsync();
        await net.HeartbeatsAsync(1);

        mesh.Publish(r, PubsubSigning.CreateSigned(mesh.Key, Topic, "m"u8, 3));
        await net.SettleAsync();
        await net.HeartbeatsAsync(2);

        Assert.Single(flood.Messages);
        Assert.Empty(flood.Controls);
        Assert.NotEmpty(mesh.Controls.SelectMany(c => c.Graft));
    }

    [Fact]
    public async Task Publish_ManyMessagesInTenRouterMesh_EachDeliveredOnceDuplicatesBounded()
    {
        await using var net = new InProcessNetwork();
        var nodes = Enumerable.Range(0, 10).Select(_ => net.AddRouter()).ToList();
        for (int i = 0; i < nodes.Count; i++)
        {
            for (int j = i + 1; j < nodes.Count; j++) net.Connect(nodes[i], nodes[j]);
        }

        var subs = nodes.Select(n => n.Router.Subscribe(Topic)).ToList();
        await net.SettleAsync();
        await net.HeartbeatsAsync(3);

        const int Count = 30;
        for (int i = 0; i < Count; i++) await nodes[i % nodes.Count].Router.PublishAsync(Topic, Encoding.UTF8.GetBytes("m" + i), Ct).WaitAsync(s_timeout, Ct);
        await net.SettleAsync();

        for (int n = 0; n < nodes.Count; n++)
        {
            var got = await DrainAsync(subs[n]);
            Assert.Equal(Count - Count / nodes.Count, got.Count);
            Assert.Equal(got.Count, got.Select(m => m.Id).Distinct().Count());
        }

        long duplicates = nodes.Sum(n => n.Router.Counters.Duplicates);
        Assert.InRange(duplicates, 0, (long)Count * nodes.Count * nodes[0].Router.Options.DHigh);
    }

    [Fact]
    public async Task Unsubscribe_MeshPeersPrunedWithUnsubscribeBackoff()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        net.Connect(x, r);
        x.Subscribe(r, Topic);
        await net.SettleAsync();
        await net.HeartbeatsAsync(1);
        x.Clear();

        r.Router.Unsubscribe(Topic);
        await net.SettleAsync();

        var prune = Assert.Single(x.Controls.SelectMany(c => c.Prune));
        Assert.Equal(10UL, prune.Backoff);
        var sub = Assert.Single(x.Received.SelectMany(rpc => rpc.Subscriptions));
        Assert.False(sub.Subscribe);
    }

    [Fact]
    public async Task AddPeer_AfterSubscribe_HelloCarriesSubscriptions()
    {
        await using var net = new InProcessNetwork();
        var r = net.AddRouter();
        r.Router.Subscribe("a");
        r.Router.Subscribe("b");
        var x = net.AddRawPeer();

        net.Connect(x, r);
        await net.SettleAsync();

        var first = x.Received.First();
        Assert.Equal(["a", "b"], first.Subscriptions.Select(s => s.Topic).Order());
        Assert.All(first.Subscriptions, s => Assert.True(s.Subscribe));
    }
}

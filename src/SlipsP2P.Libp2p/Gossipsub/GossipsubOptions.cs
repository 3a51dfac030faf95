// Router parameters: gossipsub v1.0 §Parameters, v1.1 §Parameters
// (https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md), defaults as js-libp2p's
// @chainsafe/libp2p-gossipsub constants.
namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>Gossipsub router parameters. Defaults are the spec's and js-libp2p's.</summary>
public sealed class GossipsubOptions
{
    /// <summary>Desired mesh degree (D).</summary>
    public int D { get; set; } = 6;

    /// <summary>Lower mesh bound (D_lo): below it the heartbeat grafts.</summary>
    public int DLow { get; set; } = 4;

    /// <summary>Upper mesh bound (D_hi): above it the heartbeat prunes.</summary>
    public int DHigh { get; set; } = 12;

    /// <summary>Minimum number of peers to gossip IHAVE to (D_lazy).</summary>
    public int DLazy { get; set; } = 6;

    /// <summary>Peers kept by score when pruning an oversubscribed mesh (D_score).</summary>
    public int DScore { get; set; } = 4;

    /// <summary>Outbound peers the mesh should hold (D_out; below D_lo and at most D/2).</summary>
    public int DOut { get; set; } = 2;

    /// <summary>Heartbeat period.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Delay before the first heartbeat.</summary>
    public TimeSpan HeartbeatInitialDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a fanout topic is kept after the last publish.</summary>
    public TimeSpan FanoutTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Heartbeats the message cache remembers (mcache_len).</summary>
    public int HistoryLength { get; set; } = 5;

    /// <summary>Heartbeats advertised in IHAVE (mcache_gossip).</summary>
    public int HistoryGossip { get; set; } = 3;

    /// <summary>How long a message id stays in the seen cache.</summary>
    public TimeSpan SeenTtl { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Fraction of eligible non-mesh peers that receive gossip.</summary>
    public double GossipFactor { get; set; } = 0.25;

    /// <summary>How many times one message is served by IWANT to one peer.</summary>
    public int GossipRetransmission { get; set; } = 3;

    /// <summary>Backoff after a PRUNE when the peer gives none.</summary>
    public TimeSpan PruneBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Backoff sent in the PRUNEs of an unsubscribe.</summary>
    public TimeSpan UnsubscribeBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Heartbeats of slack added when backoffs expire.</summary>
    public int BackoffSlackHeartbeats { get; set; } = 1;

    /// <summary>Peers sent in PRUNE peer exchange.</summary>
    public int PrunePeers { get; set; } = 16;

    /// <summary>Maximum message ids in the IHAVEs of one heartbeat to one peer, and accepted from one peer.</summary>
    public int MaxIHaveLength { get; set; } = 5000;

    /// <summary>Maximum IHAVE messages accepted from one peer per heartbeat.</summary>
    public int MaxIHaveMessages { get; set; } = 10;

    /// <summary>Time within which a peer must deliver a message it advertised and we asked for.</summary>
    public TimeSpan IWantFollowupTime { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Heartbeats between opportunistic grafts.</summary>
    public int OpportunisticGraftTicks { get; set; } = 60;

    /// <summary>Peers added by one opportunistic graft.</summary>
    public int OpportunisticGraftPeers { get; set; } = 2;

    /// <summary>A GRAFT this soon after a PRUNE counts double in P7 (v1.1 "graft flood").</summary>
    public TimeSpan GraftFloodThreshold { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Publish to every known subscriber above the publish threshold, not only the mesh (js default true).</summary>
    public bool FloodPublish { get; set; } = true;

    /// <summary>Accept and use /floodsub/1.0.0 peers (js default true).</summary>
    public bool FallbackToFloodsub { get; set; } = true;

    /// <summary>Speak /meshsub/1.2.0 (IDONTWANT).</summary>
    public bool EnableV12 { get; set; } = true;

    /// <summary>Messages at least this large trigger IDONTWANT to 1.2 mesh peers.</summary>
    public int IDontWantMinDataSize { get; set; } = 512;

    /// <summary>Maximum IDONTWANT ids accepted from one peer per heartbeat.</summary>
    public int MaxIDontWantMessages { get; set; } = 512;

    /// <summary>Largest encoded RPC accepted or sent (bytes). js default 1 MiB for gossipsub's own cap, 4 MiB for the stream.</summary>
    public int MaxRpcSize { get; set; } = 1024 * 1024;

    /// <summary>Capacity of each subscription's delivery queue; when full, deliveries are dropped and counted.</summary>
    public int SubscriptionQueueCapacity { get; set; } = 16384;

    /// <summary>
    /// Received messages of one peer that may wait for verification and routing at once. When reached, the peer's
    /// read loop (<see cref="GossipsubRouter.HandleRpcAsync"/>) waits, which stops reading its stream and so slows
    /// the sender through yamux flow control; the router loop itself never waits.
    /// </summary>
    public int MaxPendingMessagesPerPeer { get; set; } = 4096;

    /// <summary>Local publishes signed but not yet routed; further <see cref="GossipsubRouter.PublishAsync"/> calls wait.</summary>
    public int MaxPendingPublishes { get; set; } = 4096;

    /// <summary>Parallel signature verification workers (default: processor count).</summary>
    public int VerificationWorkers { get; set; } = Environment.ProcessorCount;

    /// <summary>The message id function; the default is js-libp2p's (PublicKey protobuf of the author ‖ seqno).</summary>
    public Func<Rpc.PubsubMessage, MessageId> MessageIdFunction { get; set; } = MessageIds.JsDefault;

    /// <summary>Peer scoring parameters.</summary>
    public PeerScoreParams Score { get; set; } = new();

    /// <summary>Peer score thresholds.</summary>
    public PeerScoreThresholds Thresholds { get; set; } = new();

    /// <summary>Checks the parameter constraints of the spec; throws <see cref="ArgumentException"/> naming the first violated one.</summary>
    public void Validate()
    {
        if (D <= 0) throw new ArgumentException($"{nameof(D)} must be positive");
        if (DLow > D || DLow <= 0) throw new ArgumentException($"{nameof(DLow)} must be in 1..{nameof(D)}");
        if (DHigh < D) throw new ArgumentException($"{nameof(DHigh)} must be >= {nameof(D)}");
        if (DOut >= DLow || DOut > D / 2) throw new ArgumentException($"{nameof(DOut)} must be < {nameof(DLow)} and <= {nameof(D)}/2");
        if (DScore > D) throw new ArgumentException($"{nameof(DScore)} must be <= {nameof(D)}");
        if (HistoryGossip > HistoryLength || HistoryGossip <= 0) throw new ArgumentException($"{nameof(HistoryGossip)} must be in 1..{nameof(HistoryLength)}");
        if (HeartbeatInterval <= TimeSpan.Zero) throw new ArgumentException($"{nameof(HeartbeatInterval)} must be positive");
        if (MaxRpcSize < 1024) throw new ArgumentException($"{nameof(MaxRpcSize)} must be at least 1024");
        if (MaxPendingMessagesPerPeer <= 0) throw new ArgumentException($"{nameof(MaxPendingMessagesPerPeer)} must be positive");
        if (MaxPendingPublishes <= 0) throw new ArgumentException($"{nameof(MaxPendingPublishes)} must be positive");
        if (VerificationWorkers <= 0) throw new ArgumentException($"{nameof(VerificationWorkers)} must be positive");
        Thresholds.Validate();
    }
}

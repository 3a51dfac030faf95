using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>A consistent copy of router state, taken on the router loop (diagnostics and tests).</summary>
public sealed class GossipsubSnapshot
{
    /// <summary>Mesh peers per topic.</summary>
    public Dictionary<string, List<PeerId>> Mesh { get; } = new(StringComparer.Ordinal);

    /// <summary>Fanout peers per topic.</summary>
    public Dictionary<string, List<PeerId>> Fanout { get; } = new(StringComparer.Ordinal);

    /// <summary>Known subscribers per topic.</summary>
    public Dictionary<string, List<PeerId>> TopicPeers { get; } = new(StringComparer.Ordinal);

    /// <summary>Score of each connected peer.</summary>
    public Dictionary<PeerId, double> Scores { get; } = [];

    /// <summary>Behaviour penalty counter (P7) of each connected peer.</summary>
    public Dictionary<PeerId, double> BehaviourPenalties { get; } = [];

    /// <summary>Backoffs per topic (peer, expiry).</summary>
    public Dictionary<string, Dictionary<PeerId, DateTimeOffset>> Backoff { get; } = new(StringComparer.Ordinal);

    /// <summary>Entries in the seen cache.</summary>
    public int SeenCount { get; set; }

    /// <summary>Entries in the message cache.</summary>
    public int MessageCacheCount { get; set; }

    /// <summary>Messages waiting for verification.</summary>
    public int PendingVerification { get; set; }
}

/// <summary>Router counters, readable from any thread.</summary>
public sealed class GossipsubCounters
{
    internal long _delivered;
    internal long _duplicates;
    internal long _invalid;
    internal long _ignored;
    internal long _graylistedRpcs;
    internal long _published;
    internal long _forwarded;
    internal long _iwantServed;
    internal long _eventsProcessed;
    internal long _inboundWaits;
    internal long _publishWaits;
    internal long _sendDroppedRpcs;
    internal long _sendDroppedMessages;

    /// <summary>Messages delivered to local subscriptions.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Received messages already seen (or being verified).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Messages rejected for a bad signature or by a validator.</summary>
    public long Invalid => Interlocked.Read(ref _invalid);

    /// <summary>Messages dropped without penalty (validator Ignore, own messages echoed back, no topic).</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>RPCs dropped because the sender was below the graylist threshold.</summary>
    public long GraylistedRpcs => Interlocked.Read(ref _graylistedRpcs);

    /// <summary>Messages published locally.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Message copies sent to peers (forwarding and publishing).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Messages served in answer to IWANT.</summary>
    public long IWantServed => Interlocked.Read(ref _iwantServed);

    /// <summary>Router loop events processed.</summary>
    public long EventsProcessed => Interlocked.Read(ref _eventsProcessed);

    /// <summary>Times a peer's read loop waited because that peer's pending-message budget was spent (backpressure).</summary>
    public long InboundWaits => Interlocked.Read(ref _inboundWaits);

    /// <summary>Times a local publish waited for the pending-publish budget.</summary>
    public long PublishWaits => Interlocked.Read(ref _publishWaits);

    /// <summary>RPCs the sender refused (peer gone or its write queue full): dropped, as go and js drop them.</summary>
    public long SendDroppedRpcs => Interlocked.Read(ref _sendDroppedRpcs);

    /// <summary>Messages inside <see cref="SendDroppedRpcs"/>.</summary>
    public long SendDroppedMessages => Interlocked.Read(ref _sendDroppedMessages);
}

using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>
/// What the router needs from the network: a way to queue an RPC for a peer. The host adapter implements it over one
/// outbound stream per peer; tests implement it with in-process peers. Implementations must not block: the router
/// loop calls it.
/// </summary>
public interface IPubsubPeerSender
{
    /// <summary>Queues <paramref name="rpc"/> for <paramref name="peer"/>; false when the peer is gone or its queue is full.</summary>
    bool TrySend(PeerId peer, PubsubRpc rpc);

    /// <summary>
    /// A peer offered by peer exchange (PRUNE from a well-scored peer). The default ignores it; a host may dial it.
    /// </summary>
    void OnPeerExchange(PeerId peer, byte[]? signedPeerRecord)
    {
    }

    /// <summary>
    /// Completes when the outbound queues have room for a local publish (the default has no queues and never waits).
    /// Called by <see cref="GossipsubRouter.PublishAsync"/> on the publisher's thread, never on the router loop, so
    /// a local burst slows down instead of overflowing the queues; a stalled peer must not make it wait forever.
    /// </summary>
    ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// True when a local publish need not wait (no queue is congested): the synchronous check behind
    /// <see cref="GossipsubRouter.PublishAsync"/>'s fast path. The default has no queues.
    /// </summary>
    bool HasCapacity => true;

    /// <summary>
    /// The signed peer record (envelope bytes) to send with <paramref name="peer"/> in a PRUNE's peer exchange, so that
    /// the pruned peer can dial it (js-libp2p takes a candidate's addresses only from it); null when none is known, the
    /// default.
    /// </summary>
    byte[]? SignedPeerRecordOf(PeerId peer) => null;
}

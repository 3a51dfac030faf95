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
}

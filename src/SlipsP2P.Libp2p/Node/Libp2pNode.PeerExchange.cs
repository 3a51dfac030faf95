// Gossipsub v1.1 peer exchange (https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#prune-backoff-and-peer-exchange):
// a PRUNE from a peer whose score is at least AcceptPXThreshold (the router checks it) names other peers of the topic,
// so that the pruned node can heal its mesh. We dial a bounded number of them: the addresses come from the signed peer
// record when the PRUNE carried one (verified: it must be signed by the peer it names), else from the peer store,
// else from a DHT lookup.
using System.Buffers;
using Microsoft.Extensions.Logging;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Node;

public sealed partial class Libp2pNode
{
    private int _peerExchangeDials;
    private long _peerExchangeCandidates;

    /// <summary>Peer exchange candidates the router passed on (from PRUNEs of peers at or above AcceptPXThreshold).</summary>
    public long PeerExchangeCandidates => Interlocked.Read(ref _peerExchangeCandidates);

    /// <summary>Peer exchange dials under way (bounded by <see cref="Libp2pNodeOptions.MaxPeerExchangeDials"/>).</summary>
    public int PendingPeerExchangeDials => Volatile.Read(ref _peerExchangeDials);

    // Called on the router's thread: decide at once, dial in the background.
    private void OnPeerExchange(PeerId peer, byte[]? signedPeerRecord)
    {
        Interlocked.Increment(ref _peerExchangeCandidates);
        if (peer == PeerId || Volatile.Read(ref _state) != 1 || Host.Connections.IsConnected(peer)) return;
        var addresses = new List<Multiaddr>();
        if (signedPeerRecord is not null)
        {
            if (SignedPeerRecord.TryOpen(signedPeerRecord, out var record) == OperationStatus.Done && record!.Peer == peer)
            {
                addresses.AddRange(record.Addresses);
            }
            else
            {
                // go-libp2p drops a candidate whose record does not verify; so do we (it may be a forgery).
                LogPeerExchangeBadRecord(_logger, peer);
                return;
            }
        }

        if (Interlocked.Increment(ref _peerExchangeDials) > _options.MaxPeerExchangeDials)
        {
            Interlocked.Decrement(ref _peerExchangeDials);
            LogPeerExchangeDropped(_logger, peer, _options.MaxPeerExchangeDials);
            return;
        }

        StartBackground(ConnectExchangedPeerAsync(peer, addresses, _stopping.Token));
    }

    private async Task ConnectExchangedPeerAsync(PeerId peer, List<Multiaddr> addresses, CancellationToken cancellationToken)
    {
        try
        {
            if (addresses.Count == 0) addresses = await ResolveAsync(peer, cancellationToken).ConfigureAwait(false);
            if (addresses.Count == 0)
            {
                LogPeerExchangeNoAddress(_logger, peer);
                return;
            }

            var bare = new List<Multiaddr>(addresses.Count);
            foreach (var a in addresses) bare.Add(a.WithoutPeerId());
            PeerStore?.AddOrUpdate(peer, bare);
            Raise(PeerDiscovered, peer, "px");
            var full = new List<Multiaddr>(bare.Count);
            foreach (var a in bare) full.Add(a.WithPeerId(peer));
            await DialAnyAsync(peer, full, "px", cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            Interlocked.Decrement(ref _peerExchangeDials);
        }
    }

    /// <summary>Addresses of <paramref name="peer"/> from the peer store, else from a DHT lookup (empty when unknown).</summary>
    private async Task<List<Multiaddr>> ResolveAsync(PeerId peer, CancellationToken cancellationToken)
    {
        if (PeerStore is not null)
        {
            foreach (var known in PeerStore.Snapshot())
            {
                if (known.Peer == peer && known.Addresses.Count > 0) return [.. known.Addresses];
            }
        }

        if (Dht is null) return [];
        try
        {
            foreach (var entry in await Dht.LookupAsync(peer, cancellationToken).ConfigureAwait(false))
            {
                if (entry.Peer == peer) return [.. entry.Addresses];
            }
        }
        catch (Exception ex) when (IsDialFailure(ex) || ex is TimeoutException)
        {
            LogDiscoveredDialFailed(_logger, peer, "px lookup", ex.Message);
        }

        return [];
    }

    [LoggerMessage(3505, LogLevel.Debug, "peer exchange candidate {PeerId} dropped: {Limit} peer exchange dials already under way")]
    private static partial void LogPeerExchangeDropped(ILogger logger, PeerId peerId, int limit);

    [LoggerMessage(3506, LogLevel.Debug, "peer exchange candidate {PeerId} has no known address")]
    private static partial void LogPeerExchangeNoAddress(ILogger logger, PeerId peerId);

    [LoggerMessage(3507, LogLevel.Information, "peer exchange candidate {PeerId} came with a signed peer record that does not verify; ignored")]
    private static partial void LogPeerExchangeBadRecord(ILogger logger, PeerId peerId);
}

// One connection per peer.
//
// Two dials of ours to the same peer share one dial (js-libp2p's dialer does the same: "parallel dials to the same
// peer will yield the same connection/error when the first dial settles"). When both peers dial each other at the same
// time (simultaneous open) each ends up with an inbound and an outbound connection; both sides must close the SAME
// one, so the choice depends only on what both know: the connection dialed by the peer with the smaller peer id
// (multihash bytes, compared as unsigned bytes) is kept. Duplicates one side dialed itself are that side's to clean:
// it keeps its oldest. A peer that keeps both (js-libp2p keeps duplicates) simply sees ours close; it then uses the
// other, as it does for any closed connection.
//
// The connection that loses is drained, not cut: no new stream goes to it (PreferredConnection skips it), and it closes
// once its last stream has ended, so that a stream in use finishes its exchange. A long-lived stream (a pubsub stream
// the node opened on it before the choice) keeps it open until that stream ends: closing it under the node after a
// grace period lost pubsub state with the stream sender being reworked, so there is no forced close.
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Transport;

public sealed partial class Libp2pHost
{
    private static readonly TimeSpan s_drainPoll = TimeSpan.FromMilliseconds(50);
    private readonly ConcurrentDictionary<PeerId, Task<Libp2pConnection>> _pendingDials = new();
    private readonly ConcurrentDictionary<long, byte> _superseded = new();
    private readonly Lock _dedupSync = new();

    /// <summary>
    /// The connection new streams to <paramref name="peer"/> should use: the oldest open one that is not being closed
    /// as a duplicate; null when not connected.
    /// </summary>
    public Libp2pConnection? PreferredConnection(PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        Libp2pConnection? fallback = null;
        foreach (var c in Connections.GetConnections(peer))
        {
            if (!_superseded.ContainsKey(c.Id)) return c;
            fallback ??= c;
        }

        return fallback;
    }

    /// <summary>True when <paramref name="connection"/> lost to another connection to the same peer and is draining.</summary>
    public bool IsSuperseded(Libp2pConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return _superseded.ContainsKey(connection.Id);
    }

    // Dials expected's address, or joins the dial to that peer already under way.
    private async Task<Libp2pConnection> DialJoinedAsync(Multiaddr address, PeerId expected, CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource<Libp2pConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = _pendingDials.GetOrAdd(expected, mine.Task);
        if (pending != mine.Task) return await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await DialNewAsync(address, expected, cancellationToken).ConfigureAwait(false);
            mine.SetResult(connection);
            return connection;
        }
        catch (Exception ex)
        {
            mine.SetException(ex);
            _ = mine.Task.Exception; // observed here: there may be no joiner
            throw;
        }
        finally
        {
            _pendingDials.TryRemove(new KeyValuePair<PeerId, Task<Libp2pConnection>>(expected, mine.Task));
        }
    }

    /// <summary>
    /// Called once <paramref name="added"/> is registered: decides which connections to its peer stay, starts draining
    /// the others, and returns the connection the caller should use (<paramref name="added"/> unless it lost or has
    /// already closed).
    /// </summary>
    private Libp2pConnection KeepOne(Libp2pConnection added)
    {
        var peer = added.RemotePeer;
        var losers = new List<Libp2pConnection>();
        Libp2pConnection keep = added;
        lock (_dedupSync)
        {
            var open = new List<Libp2pConnection>();
            foreach (var c in Connections.GetConnections(peer))
            {
                if (!_superseded.ContainsKey(c.Id)) open.Add(c);
            }

            // A connection that closed before it was registered (ConnectionManager.Complete drops it) is not in the
            // list: the caller gets the open one, if any.
            if (open.Count <= 1) return open.Count == 1 ? open[0] : added;
            var preferred = PeerId.ToByteArray().AsSpan().SequenceCompareTo(peer.ToByteArray()) < 0
                ? ConnectionDirection.Outbound
                : ConnectionDirection.Inbound;
            bool anyPreferred = open.Exists(c => c.Direction == preferred);
            Libp2pConnection? oldestOutbound = null;
            foreach (var c in open)
            {
                if (anyPreferred && c.Direction != preferred)
                {
                    losers.Add(c);
                }
                else if (c.Direction == ConnectionDirection.Outbound)
                {
                    // Our own duplicates (GetConnections is oldest first): keep the oldest.
                    if (oldestOutbound is null) oldestOutbound = c;
                    else losers.Add(c);
                }
            }

            foreach (var l in losers) _superseded[l.Id] = 0;
            if (losers.Contains(added))
            {
                foreach (var c in open)
                {
                    if (!losers.Contains(c))
                    {
                        keep = c;
                        break;
                    }
                }
            }
        }

        foreach (var l in losers)
        {
            LogDuplicateConnection(_logger, peer, l.Id, keep.Id);
            var drain = DrainAsync(l);
            lock (_sync)
            {
                _background.RemoveAll(static t => t.IsCompleted);
                _background.Add(drain);
            }
        }

        return keep;
    }

    private async Task DrainAsync(Libp2pConnection connection)
    {
        try
        {
            using var timer = new PeriodicTimer(s_drainPoll, TimeProvider);
            while (!connection.IsClosed && connection.Session.IdleSinceTimestamp is null)
            {
                await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Host stopping: every connection is closed by DisposeAsync anyway.
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        _superseded.TryRemove(connection.Id, out _);
    }

    [LoggerMessage(EventId = 3012, Level = LogLevel.Debug, Message = "Connection {ConnectionId} to {PeerId} duplicates connection {KeptConnectionId}; draining it")]
    private static partial void LogDuplicateConnection(ILogger logger, PeerId peerId, long connectionId, long keptConnectionId);
}

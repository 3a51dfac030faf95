using System.Collections.Concurrent;
using System.Net;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Transport;

/// <summary>
/// Tracks live connections and enforces the host's limits: total connections, inbound connections per IP address
/// (counted from accept, before the upgrade), and the idle timeout.
/// </summary>
public sealed class ConnectionManager
{
    private readonly Libp2pHostOptions _options;
    private readonly ConcurrentDictionary<long, Libp2pConnection> _connections = new();
    private readonly Dictionary<IPAddress, int> _perIp = [];
    private readonly Lock _sync = new();
    private int _pending;

    internal ConnectionManager(Libp2pHostOptions options)
    {
        _options = options;
    }

    /// <summary>The number of established connections.</summary>
    public int Count => _connections.Count;

    /// <summary>A snapshot of the established connections.</summary>
    public IReadOnlyList<Libp2pConnection> Snapshot() => [.. _connections.Values];

    /// <summary>The open connections to <paramref name="peer"/>, oldest first.</summary>
    public IReadOnlyList<Libp2pConnection> GetConnections(PeerId peer)
    {
        var list = new List<Libp2pConnection>();
        foreach (var c in _connections.Values)
        {
            if (c.RemotePeer == peer && !c.IsClosed) list.Add(c);
        }

        list.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>True when at least one open connection to <paramref name="peer"/> exists.</summary>
    public bool IsConnected(PeerId peer)
    {
        foreach (var c in _connections.Values)
        {
            if (c.RemotePeer == peer && !c.IsClosed) return true;
        }

        return false;
    }

    /// <summary>Reserves a slot for a connection being set up; false with the reason when a limit is reached.</summary>
    internal bool TryReserve(IPAddress? inboundFrom, out string reason)
    {
        lock (_sync)
        {
            if (_connections.Count + _pending >= _options.MaxConnections)
            {
                reason = $"connection limit {_options.MaxConnections} reached";
                return false;
            }

            if (inboundFrom is not null)
            {
                _perIp.TryGetValue(inboundFrom, out int n);
                if (n >= _options.MaxConnectionsPerIp)
                {
                    reason = $"per-IP limit {_options.MaxConnectionsPerIp} reached for {inboundFrom}";
                    return false;
                }

                _perIp[inboundFrom] = n + 1;
            }

            _pending++;
            reason = string.Empty;
            return true;
        }
    }

    /// <summary>
    /// Turns a reservation into an established connection; drops it when <paramref name="connection"/> is null or
    /// already closed.
    /// </summary>
    /// <remarks>
    /// The host removes a connection when its session completes, and that can happen before the upgrade returns here
    /// (the remote closed it right after the handshake, for instance as the loser of a simultaneous open, or a
    /// <see cref="Libp2pHost.ConnectionOpened"/> subscriber closed it). That removal found nothing to remove, so
    /// registering the connection now would keep it (and its per-IP slot) for good. The check and the insertion are
    /// under the same lock as the removal: a connection still open here is removed later, one closed here never
    /// registers. A session never reopens, so IsClosed is true from before its completion on.
    /// </remarks>
    internal void Complete(Libp2pConnection? connection, IPAddress? inboundFrom)
    {
        lock (_sync)
        {
            _pending--;
            if (connection is null || connection.IsClosed)
            {
                ReleaseIp(inboundFrom);
                return;
            }

            _connections[connection.Id] = connection;
        }
    }

    internal void Remove(Libp2pConnection connection, IPAddress? inboundFrom)
    {
        lock (_sync)
        {
            if (_connections.TryRemove(connection.Id, out _)) ReleaseIp(inboundFrom);
        }
    }

    /// <summary>Connections that have had no open stream for at least the idle timeout.</summary>
    internal List<Libp2pConnection> FindIdle(TimeProvider time)
    {
        var idle = new List<Libp2pConnection>();
        if (_options.IdleTimeout <= TimeSpan.Zero) return idle;
        foreach (var c in _connections.Values)
        {
            var since = c.Session.IdleSinceTimestamp;
            if (since is long ts && time.GetElapsedTime(ts) >= _options.IdleTimeout) idle.Add(c);
        }

        return idle;
    }

    private void ReleaseIp(IPAddress? ip)
    {
        if (ip is null || !_perIp.TryGetValue(ip, out int n)) return;
        if (n <= 1) _perIp.Remove(ip);
        else _perIp[ip] = n - 1;
    }
}

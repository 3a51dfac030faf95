// A minimal Kademlia DHT for peer discovery: https://github.com/libp2p/specs/blob/master/kad-dht/README.md
//
//   server: inbound stream ─▶ lp(Message) ─▶ FIND_NODE: k closest from the routing table ─▶ lp(Message) … (many per stream)
//   client: FindNodeAsync(peer, key): new stream ─▶ lp(request) ─▶ lp(response) ─▶ close
//           LookupAsync(key): iterative, α in flight, until the k closest known have all answered
//   refresh: on a TimeProvider timer, a self lookup plus random-key lookups
//
// Values and providers are not stored: those requests are answered with closer peers only (kad-dht §Value
// retrieval allows a node without the record to do so).
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Multistream;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Protobuf;
using SlipsP2P.Libp2p.Transport;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Discovery.Kad;

/// <summary>
/// Kademlia peer routing over a <see cref="Libp2pHost"/>: serves FIND_NODE, runs iterative lookups and refreshes its
/// routing table. Call <see cref="Start"/> once; feed it peers that speak the protocol with <see cref="AddPeer"/>.
/// </summary>
public sealed partial class KadDht : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly KadOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private ITimer? _refreshTimer;
    private Task _refreshing = Task.CompletedTask;
    private int _refreshRunning;
    private int _started;

    /// <summary>Creates the DHT (not yet serving).</summary>
    public KadDht(Libp2pHost host, KadOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        _options = options ?? new KadOptions();
        _options.Validate();
        _time = time ?? host.TimeProvider;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SlipsP2P.Libp2p.Kad");
        RoutingTable = new RoutingTable(host.PeerId, _options.BucketSize);
    }

    /// <summary>Raised (on a pool thread) when a lookup learns of a peer that was not in the routing table.</summary>
    public event Action<PeerId, IReadOnlyList<Multiaddr>>? PeerDiscovered;

    /// <summary>The routing table.</summary>
    public RoutingTable RoutingTable { get; }

    /// <summary>The settings.</summary>
    public KadOptions Options => _options;

    /// <summary>Registers the protocol handler and starts the refresh timer (the first refresh after one interval).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("the DHT is already started");
        _host.SetStreamHandler(_options.ProtocolId, HandleInboundAsync);
        _refreshTimer = _time.CreateTimer(static s => ((KadDht)s!).TriggerRefresh(), this, _options.RefreshInterval, _options.RefreshInterval);
    }

    /// <summary>A peer that advertises our DHT protocol (from identify): adds it to the routing table.</summary>
    public bool AddPeer(PeerId peer, IEnumerable<Multiaddr> addresses)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(addresses);
        return RoutingTable.TryAdd(peer, addresses, _time.GetUtcNow());
    }

    /// <summary>
    /// Sends one FIND_NODE for <paramref name="key"/> to <paramref name="peer"/> (dialing <paramref name="addresses"/>
    /// when not connected) and returns its closer peers. Throws on timeout, refusal or a malformed answer.
    /// </summary>
    public async Task<IReadOnlyList<KadPeer>> FindNodeAsync(PeerId peer, IReadOnlyList<Multiaddr> addresses, byte[] key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(key);
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken, _stop.Token);
        try
        {
            var connection = await ConnectAsync(peer, addresses, linked.Token).ConfigureAwait(false);
            var stream = await connection.OpenStreamAsync(_options.ProtocolId, linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var request = new KadMessage { Type = KadMessageType.FindNode, Key = key };
                await LengthPrefixed.WriteAsync(stream.Output, request.ToArray(), linked.Token).ConfigureAwait(false);
                var bytes = await LengthPrefixed.ReadAsync(stream.Input, KadMessage.MaxSize, linked.Token).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"kad: peer {peer} closed the stream without answering FIND_NODE");
                if (KadMessage.TryRead(bytes, out var response, out _) != System.Buffers.OperationStatus.Done || response!.Type != KadMessageType.FindNode)
                {
                    throw new InvalidDataException($"kad: peer {peer} sent a malformed FIND_NODE response ({bytes.Length} bytes)");
                }

                return response.CloserPeers;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"kad: peer {peer} did not answer FIND_NODE within {_options.RequestTimeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Iterative lookup of the k peers closest to <paramref name="target"/>'s position.</summary>
    public Task<IReadOnlyList<KadEntry>> LookupAsync(PeerId target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return LookupAsync(target.ToByteArray(), cancellationToken);
    }

    /// <summary>
    /// Iterative lookup (kad-dht §Peer routing): query the α closest unqueried candidates in parallel, merge their
    /// closer peers, and stop when the k closest candidates have all answered. Returns those peers, closest first.
    /// </summary>
    public async Task<IReadOnlyList<KadEntry>> LookupAsync(byte[] key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var target = KadKey.FromKey(key);
        int k = _options.BucketSize;
        var candidates = new Dictionary<PeerId, Candidate>();
        foreach (var e in RoutingTable.Closest(target, k)) candidates[e.Peer] = new Candidate(e.Peer, e.Key, e.Addresses, target);
        var inflight = new Dictionary<Task<IReadOnlyList<KadPeer>>, Candidate>();
        try
        {
            while (true)
            {
                var ordered = new List<Candidate>(candidates.Count);
                foreach (var c in candidates.Values)
                {
                    if (c.State != CandidateState.Failed) ordered.Add(c);
                }

                ordered.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
                if (ordered.Count > k) ordered.RemoveRange(k, ordered.Count - k);
                bool allDone = true;
                foreach (var c in ordered)
                {
                    if (c.State != CandidateState.Succeeded)
                    {
                        allDone = false;
                        break;
                    }
                }

                if (allDone && inflight.Count == 0) break;
                foreach (var c in ordered)
                {
                    if (inflight.Count >= _options.Alpha) break;
                    if (c.State != CandidateState.NotQueried) continue;
                    c.State = CandidateState.Querying;
                    inflight[FindNodeAsync(c.Peer, c.Addresses, key, cancellationToken)] = c;
                }

                if (inflight.Count == 0) break;
                var done = await Task.WhenAny(inflight.Keys).ConfigureAwait(false);
                var candidate = inflight[done];
                inflight.Remove(done);
                try
                {
                    var closer = await done.ConfigureAwait(false);
                    candidate.State = CandidateState.Succeeded;
                    RoutingTable.TryAdd(candidate.Peer, candidate.Addresses, _time.GetUtcNow());
                    foreach (var p in closer)
                    {
                        if (p.Peer == _host.PeerId || candidates.ContainsKey(p.Peer)) continue;
                        if (p.Addresses.Count == 0 && !_host.Connections.IsConnected(p.Peer)) continue;
                        candidates[p.Peer] = new Candidate(p.Peer, KadKey.FromPeer(p.Peer), p.Addresses, target);
                        if (RoutingTable.Find(p.Peer) is null) RaiseDiscovered(p.Peer, p.Addresses);
                    }
                }
                catch (Exception ex) when (IsRequestFailure(ex) && !cancellationToken.IsCancellationRequested)
                {
                    candidate.State = CandidateState.Failed;
                    RoutingTable.Remove(candidate.Peer);
                    LogQueryFailed(_logger, candidate.Peer, ex.Message);
                }
            }
        }
        finally
        {
            // Abandoned requests finish on their own (each has a timeout); observe them so that faults are not lost.
            foreach (var t in inflight.Keys) _ = t.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        var result = new List<KadEntry>();
        foreach (var c in candidates.Values)
        {
            if (c.State == CandidateState.Succeeded) result.Add(new KadEntry(c.Peer, c.Key, c.Addresses, _time.GetUtcNow()));
        }

        result.Sort((a, b) => a.Key.Xor(target).CompareTo(b.Key.Xor(target)));
        if (result.Count > k) result.RemoveRange(k, result.Count - k);
        return result;
    }

    /// <summary>Refreshes the routing table: a lookup of our own id, then random-key lookups.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (RoutingTable.Count == 0) return;
        await LookupAsync(_host.PeerId, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < _options.RandomLookupsPerRefresh; i++)
        {
            // A random 32-byte key: its sha256 position is uniform over the keyspace.
            await LookupAsync(RandomNumberGenerator.GetBytes(32), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops serving and refreshing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_refreshTimer is not null) await _refreshTimer.DisposeAsync().ConfigureAwait(false);
        if (_started != 0) _host.RemoveStreamHandler(_options.ProtocolId);
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _refreshing.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _stop.Dispose();
    }

    private static bool IsRequestFailure(Exception ex) => ex is IOException or InvalidDataException or TimeoutException or MultistreamException
        or NoiseException or YamuxSessionException or YamuxStreamException or OperationCanceledException or InvalidOperationException
        or ArgumentException or System.Net.Sockets.SocketException;

    private void TriggerRefresh()
    {
        if (Interlocked.Exchange(ref _refreshRunning, 1) != 0) return;
        _refreshing = Task.Run(async () =>
        {
            try
            {
                await RefreshAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRequestFailure(ex))
            {
                if (!_stop.IsCancellationRequested) LogRefreshFailed(_logger, ex.Message);
            }
            finally
            {
                Volatile.Write(ref _refreshRunning, 0);
            }
        });
    }

    private async Task<Libp2pConnection> ConnectAsync(PeerId peer, IReadOnlyList<Multiaddr> addresses, CancellationToken cancellationToken)
    {
        var existing = _host.Connections.GetConnections(peer);
        if (existing.Count > 0) return existing[0];
        Exception? last = null;
        foreach (var a in addresses)
        {
            if (!IsDialable(a)) continue;
            try
            {
                return await _host.DialAsync(a.WithPeerId(peer), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRequestFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
            }
        }

        throw new IOException($"kad: cannot reach {peer}: {last?.Message ?? "no dialable address"}", last);
    }

    /// <summary>True for TCP addresses with a concrete host (not 0.0.0.0 or ::).</summary>
    internal static bool IsDialable(Multiaddr address)
    {
        if (!address.TryGetTcpTarget(out _, out int port, out var ip) || port == 0) return false;
        return ip is null || !(ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any));
    }

    private async Task HandleInboundAsync(Libp2pStream stream, CancellationToken cancellationToken)
    {
        var remote = stream.RemotePeer;
        for (int served = 0; served < _options.MaxRequestsPerStream; served++)
        {
            byte[]? bytes;
            using (var idle = new CancellationTokenSource(_options.InboundIdleTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, cancellationToken))
            {
                try
                {
                    bytes = await LengthPrefixed.ReadAsync(stream.Input, KadMessage.MaxSize, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }

            if (bytes is null) return;
            if (KadMessage.TryRead(bytes, out var request, out _) != System.Buffers.OperationStatus.Done)
            {
                throw new InvalidDataException($"kad: peer {remote} sent a malformed request ({bytes.Length} bytes)");
            }

            var response = Answer(request!, remote);
            await LengthPrefixed.WriteAsync(stream.Output, response.ToArray(), cancellationToken).ConfigureAwait(false);
        }
    }

    private KadMessage Answer(KadMessage request, PeerId remote)
    {
        var response = new KadMessage { Type = request.Type, Key = request.Key, ClusterLevelRaw = request.ClusterLevelRaw };
        switch (request.Type)
        {
            case KadMessageType.Ping:
                return response;
            case KadMessageType.PutValue:
                // kad-dht §PUT_VALUE: the response echoes the request. We do not store records.
                response.Record = request.Record;
                return response;
            default:
                break;
        }

        if (request.Key is null || request.Key.Length == 0) return response;
        var target = KadKey.FromKey(request.Key);
        foreach (var e in RoutingTable.Closest(target, _options.BucketSize + 1))
        {
            if (e.Peer == remote) continue;
            if (response.CloserPeers.Count >= _options.BucketSize) break;
            var addrs = new List<Multiaddr>();
            foreach (var a in e.Addresses)
            {
                if (IsDialable(a)) addrs.Add(a);
            }

            var state = _host.Connections.IsConnected(e.Peer) ? KadConnectionType.Connected : KadConnectionType.NotConnected;
            response.CloserPeers.Add(new KadPeer(e.Peer, addrs, state));
        }

        return response;
    }

    private void RaiseDiscovered(PeerId peer, IReadOnlyList<Multiaddr> addresses)
    {
        var handler = PeerDiscovered;
        if (handler is null) return;
        try
        {
            handler(peer, addresses);
        }
#pragma warning disable CA1031 // A subscriber's bug must not abort the lookup.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandlerFailed(_logger, peer, ex.Message);
        }
    }

    [LoggerMessage(3550, LogLevel.Debug, "kad query to {PeerId} failed: {Reason}")]
    private static partial void LogQueryFailed(ILogger logger, PeerId peerId, string reason);

    [LoggerMessage(3551, LogLevel.Information, "kad refresh failed: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(3552, LogLevel.Warning, "kad PeerDiscovered handler failed for {PeerId}: {Reason}")]
    private static partial void LogHandlerFailed(ILogger logger, PeerId peerId, string reason);

    private enum CandidateState
    {
        NotQueried,
        Querying,
        Succeeded,
        Failed,
    }

    private sealed class Candidate(PeerId peer, KadKey key, IReadOnlyList<Multiaddr> addresses, KadKey target)
    {
        public PeerId Peer { get; } = peer;

        public KadKey Key { get; } = key;

        public KadKey Distance { get; } = key.Xor(target);

        public IReadOnlyList<Multiaddr> Addresses { get; } = addresses;

        public CandidateState State { get; set; }
    }
}

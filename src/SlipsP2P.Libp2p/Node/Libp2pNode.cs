// The composed libp2p node: host (TCP, Noise, yamux, identify, ping) + gossipsub + discovery (bootstrap files,
// peer store, mDNS, Kademlia DHT).
//
//   connection opened ─▶ first to the peer? ─▶ PeerConnected; open our outbound /meshsub stream ─▶ AttachOutbound
//   inbound /meshsub  ─▶ wait until our outbound side is attached (so the peer's hello is not dropped) ─▶ RunInboundAsync
//   identify          ─▶ peer store; DHT routing table when the peer serves our DHT protocol
//   last connection closed ─▶ Detach ─▶ PeerDisconnected
//   discovery (bootstrap, peer store, mDNS, DHT lookups) ─▶ dial while below TargetPeers
using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Discovery.Kad;
using SlipsP2P.Libp2p.Discovery.Mdns;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Gossipsub.Rpc;
using SlipsP2P.Libp2p.Gossipsub.Streams;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Multistream;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Transport;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Node;

/// <summary>
/// A libp2p node: host, identify, ping, gossipsub and discovery composed. Create, subscribe to the events, then
/// <see cref="StartAsync"/>; <see cref="StopAsync"/> (or dispose) to stop. Events are raised on pool threads.
/// </summary>
public sealed partial class Libp2pNode : IAsyncDisposable
{
    private readonly Libp2pNodeOptions _options;
    private readonly bool _ownsIdentity;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly PubsubStreamSender _sender;
    private readonly Lock _sync = new();
    private readonly Dictionary<PeerId, PeerState> _peers = [];
    private readonly ConcurrentDictionary<PeerId, byte> _dialing = new();
    private readonly ConcurrentDictionary<string, Task> _subscriptions = new(StringComparer.Ordinal);
    private readonly List<Task> _background = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly IReadOnlyList<string> _pubsubProtocols;
    private MdnsService? _mdns;
    private int _state;

    /// <summary>
    /// Creates a node. The identity is <paramref name="identity"/> (not disposed by the node), else the key in
    /// <see cref="Libp2pNodeOptions.KeyFile"/> (created if missing), else a fresh key.
    /// </summary>
    /// <exception cref="KeyFileException">The key file exists but cannot be used.</exception>
    public Libp2pNode(Libp2pNodeOptions options, Ed25519KeyPair? identity = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("SlipsP2P.Libp2p.Node");
        _time = timeProvider ?? TimeProvider.System;
        if (identity is null)
        {
            identity = options.KeyFile is null ? Ed25519KeyPair.Generate() : NodeKeyFile.LoadOrCreate(options.KeyFile, out _);
            _ownsIdentity = true;
        }

        Identity = identity;
        Host = new Libp2pHost(identity, options.Host, _loggerFactory, _time);
        _sender = new PubsubStreamSender(options.Gossipsub.MaxRpcSize);
        Pubsub = new GossipsubRouter(identity, _sender, options.Gossipsub, _time, _loggerFactory.CreateLogger<GossipsubRouter>());
        _sender.Bind(Pubsub);
        _pubsubProtocols = PubsubProtocols.Preference(options.Gossipsub);
        if (options.EnableDht) Dht = new KadDht(Host, options.Dht, _loggerFactory, _time);
        if (options.PeerStorePath is not null) PeerStore = new PeerStore(options.PeerStorePath, _time);
    }

    /// <summary>Raised once listening, with our dialable addresses (each ending in /p2p/&lt;our id&gt;).</summary>
    public event Action<IReadOnlyList<Multiaddr>>? Listening;

    /// <summary>Raised when the first connection to a peer opens.</summary>
    public event Action<PeerId>? PeerConnected;

    /// <summary>Raised when the last connection to a peer closes.</summary>
    public event Action<PeerId>? PeerDisconnected;

    /// <summary>Raised when a peer joins (true) or leaves (false) a topic. Handlers must return quickly.</summary>
    public event Action<PeerId, string, bool>? PeerSubscriptionChanged;

    /// <summary>Raised for each validated message on a topic we joined (author in <see cref="ReceivedMessage.Author"/>).</summary>
    public event Action<ReceivedMessage>? MessageReceived;

    /// <summary>Raised when discovery finds a peer (source: "mdns", "dht", "bootstrap", "peerstore").</summary>
    public event Action<PeerId, string>? PeerDiscovered;

    /// <summary>A problem that did not stop the node (a bad bootstrap line, a failed dial), as a readable sentence.</summary>
    public event Action<string>? Error;

    /// <summary>Our identity.</summary>
    public Ed25519KeyPair Identity { get; }

    /// <summary>Our peer id.</summary>
    public PeerId PeerId => Identity.PeerId;

    /// <summary>The host (connections, stream handlers).</summary>
    public Libp2pHost Host { get; }

    /// <summary>The gossipsub router.</summary>
    public GossipsubRouter Pubsub { get; }

    /// <summary>The DHT, when enabled.</summary>
    public KadDht? Dht { get; }

    /// <summary>The peer store, when configured.</summary>
    public PeerStore? PeerStore { get; }

    /// <summary>The peers we have at least one open connection to.</summary>
    public IReadOnlyList<PeerId> ConnectedPeers
    {
        get
        {
            lock (_sync) return [.. _peers.Keys];
        }
    }

    /// <summary>Our dialable addresses with /p2p (unspecified listen addresses expanded to the interfaces' addresses).</summary>
    public IReadOnlyList<Multiaddr> Addresses
    {
        get
        {
            var list = new List<Multiaddr>();
            foreach (var a in ExpandUnspecified(Host.ListenAddresses)) list.Add(a.WithPeerId(PeerId));
            return list;
        }
    }

    /// <summary>
    /// Listens, joins the configured topics, starts discovery, dials <see cref="Libp2pNodeOptions.DialAddresses"/>
    /// (waiting for those dials), then dials bootstrap and stored peers in the background. Dial failures are
    /// reported through <see cref="Error"/>.
    /// </summary>
    /// <exception cref="IOException">A listen address cannot be bound, or mDNS cannot start.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("the node was already started");
        Pubsub.PeerSubscriptionChanged += OnPeerSubscription;
        _sender.PeerExchange += OnPeerExchange;
        _sender.SignedPeerRecords = Host.SignedPeerRecordOf;
        Host.ConnectionOpened += OnConnectionOpened;
        Host.ConnectionClosed += OnConnectionClosed;
        Host.PeerIdentified += OnPeerIdentified;
        foreach (var p in _pubsubProtocols) Host.SetStreamHandler(p, HandlePubsubInboundAsync);
        Pubsub.Start();
        if (Dht is not null)
        {
            Dht.PeerDiscovered += (peer, addrs) => OnDiscovered(peer, addrs, "dht");
            Dht.Start();
        }

        var listen = _options.ListenAddresses.Count > 0 ? [.. _options.ListenAddresses] : new List<Multiaddr> { Multiaddr.Parse(Libp2pNodeOptions.DefaultListenAddress) };
        foreach (var a in listen)
        {
            try
            {
                await Host.ListenAsync(a, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                throw new IOException(ex.Message, ex);
            }
        }

        foreach (var t in _options.Topics) Subscribe(t);
        if (_options.EnableMdns)
        {
            _mdns = new MdnsService(PeerId, () => Addresses, _options.Mdns, _loggerFactory, _time);
            _mdns.PeerDiscovered += (peer, addrs) => OnDiscovered(peer, addrs, "mdns");
            _mdns.Start();
        }

        Raise(Listening, Addresses);

        // Explicit dials finish (or report their failure) before StartAsync returns; other discovery runs on.
        var dials = new List<Task>();
        foreach (var a in _options.DialAddresses) dials.Add(DialReportingAsync(a, cancellationToken));
        await Task.WhenAll(dials).ConfigureAwait(false);
        lock (_sync) _background.Add(Task.Run(() => ConnectInitialPeersAsync(_stopping.Token), CancellationToken.None));
    }

    /// <summary>Joins <paramref name="topic"/>; its messages are raised through <see cref="MessageReceived"/>.</summary>
    public void Subscribe(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (_subscriptions.ContainsKey(topic)) return;
        var sub = Pubsub.Subscribe(topic);
        _subscriptions[topic] = Task.Run(() => DeliverAsync(sub));
    }

    /// <summary>Signs and publishes <paramref name="data"/> (may be empty) on <paramref name="topic"/>.</summary>
    public Task<PublishResult> PublishAsync(string topic, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        => Pubsub.PublishAsync(topic, data, cancellationToken);

    /// <summary>Dials <paramref name="address"/> (reusing an open connection to its /p2p peer) and returns the peer.</summary>
    /// <exception cref="IOException">The dial or the upgrade failed; the message names the address.</exception>
    public async Task<PeerId> ConnectAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        try
        {
            var c = await Host.DialAsync(address, cancellationToken).ConfigureAwait(false);
            return c.RemotePeer;
        }
        catch (Exception ex) when (IsDialFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException(ex is IOException ? ex.Message : $"cannot dial '{address}': {ex.Message}", ex);
        }
    }

    /// <summary>Stops discovery, closes every connection and saves the peer store. Idempotent.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_mdns is not null) await Bounded(_mdns.DisposeAsync().AsTask()).ConfigureAwait(false);
        if (Dht is not null) await Bounded(Dht.DisposeAsync().AsTask()).ConfigureAwait(false);
        Task[] background;
        lock (_sync) background = [.. _background];
        await Bounded(Task.WhenAll(background)).ConfigureAwait(false);
        await Bounded(_sender.DisposeAsync().AsTask()).ConfigureAwait(false);
        await Bounded(Host.DisposeAsync().AsTask()).ConfigureAwait(false);
        await Bounded(Pubsub.DisposeAsync().AsTask()).ConfigureAwait(false);
        await Bounded(Task.WhenAll(_subscriptions.Values)).ConfigureAwait(false);
        if (PeerStore is not null)
        {
            try
            {
                PeerStore.Save();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Raise(Error, $"cannot save the peer store {_options.PeerStorePath}: {ex.Message}");
            }
        }

        if (_ownsIdentity) Identity.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _state) == 0)
        {
            Interlocked.Exchange(ref _state, 2);
            await Host.DisposeAsync().ConfigureAwait(false);
            if (_ownsIdentity) Identity.Dispose();
            _stopping.Dispose();
            return;
        }

        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Expands 0.0.0.0 / :: listen addresses into one address per interface address of that family.</summary>
    internal static List<Multiaddr> ExpandUnspecified(IReadOnlyList<Multiaddr> addresses)
    {
        var result = new List<Multiaddr>();
        foreach (var a in addresses)
        {
            if (!a.TryGetTcpTarget(out _, out int port, out var ip) || ip is null || !(ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
            {
                result.Add(a);
                continue;
            }

            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown)) continue;
                foreach (var ua in nic.GetIPProperties().UnicastAddresses)
                {
                    if (ua.Address.AddressFamily != ip.AddressFamily) continue;
                    if (ua.Address.AddressFamily == AddressFamily.InterNetworkV6 && ua.Address.IsIPv6LinkLocal) continue;
                    var m = Multiaddr.FromTcpEndPoint(new IPEndPoint(ua.Address, port));
                    if (!result.Contains(m)) result.Add(m);
                }
            }
        }

        return result;
    }

    private static bool IsDialFailure(Exception ex) => ex is IOException or InvalidDataException or MultistreamException or NoiseException
        or YamuxSessionException or OperationCanceledException or ArgumentException or InvalidOperationException or TimeoutException;

    private async Task Bounded(Task task)
    {
        try
        {
            await task.WaitAsync(_options.StopTimeout).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Stopping continues past a part that failed or hung; the failure is reported.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (ex is not OperationCanceledException) LogStopStepFailed(_logger, ex.GetType().Name, ex.Message);
        }
    }

    private async Task DeliverAsync(Subscription sub)
    {
        await foreach (var m in sub.Messages.ReadAllAsync().ConfigureAwait(false)) Raise(MessageReceived, m);
    }

    // ---- connections and pubsub streams ----

    private void OnConnectionOpened(object? sender, Libp2pConnection connection)
    {
        var peer = connection.RemotePeer;
        bool first;
        PeerState state;
        lock (_sync)
        {
            if (!_peers.TryGetValue(peer, out state!))
            {
                state = new PeerState();
                _peers[peer] = state;
            }

            // An inbound pubsub stream may have registered this connection already (see HandlePubsubInboundAsync).
            if (!state.Connections.Contains(connection)) state.Connections.Add(connection);
            first = !state.Announced;
            state.Announced = true;
        }

        PeerStore?.MarkSeen(peer);
        if (!first) return;
        Raise(PeerConnected, peer);
        StartBackground(AttachPubsubAsync(peer, state, connection));
    }

    private void OnConnectionClosed(object? sender, Libp2pConnection connection)
    {
        var peer = connection.RemotePeer;
        bool last;
        Libp2pConnection? other = null;
        PeerState? state;
        lock (_sync)
        {
            if (!_peers.TryGetValue(peer, out state)) return;
            state.Connections.Remove(connection);
            last = state.Connections.Count == 0;
            if (last) _peers.Remove(peer);
            else if (state.Announced && (state.PubsubConnection is null || ReferenceEquals(state.PubsubConnection, connection)))
            {
                // Our pubsub stream lived on that connection, or never got set up (the host closed a duplicate
                // connection under it): open it on the connection the host keeps.
                other = Host.PreferredConnection(peer) ?? state.Connections[0];
            }
        }

        if (last)
        {
            state.Ready.TrySetResult();
            _sender.Detach(peer);
            if (state.Announced) Raise(PeerDisconnected, peer);
        }
        else if (other is not null && Volatile.Read(ref _state) == 1)
        {
            // Our pubsub stream died with that connection: open a new one on a surviving connection.
            StartBackground(AttachPubsubAsync(peer, state, other, reattach: true));
        }
    }

    private async Task AttachPubsubAsync(PeerId peer, PeerState state, Libp2pConnection connection, bool reattach = false)
    {
        // Set when this attempt failed only because its connection lost to a duplicate or closed while another stays:
        // the attempt on the surviving connection (OnConnectionClosed starts it) completes Ready, not this one. Completing
        // it here let the peer's inbound pubsub stream start before the router knew the peer, and the router drops the
        // RPCs of peers it does not know: the peer's subscriptions were lost (seen under load in the DHT test).
        bool retried = false;
        try
        {
            // A connection that already lost to a duplicate closes once idle: use the one the host keeps.
            if (Host.IsSuperseded(connection) && Host.PreferredConnection(peer) is { } preferred && !Host.IsSuperseded(preferred)) connection = preferred;
            using var timeout = new CancellationTokenSource(_options.PubsubSetupTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
            var stream = await connection.OpenStreamAsync(_pubsubProtocols, linked.Token).ConfigureAwait(false);
            if (!PubsubProtocols.TryParse(stream.Protocol, out var protocol))
            {
                stream.Reset();
                return;
            }

            // The router greets a peer with our subscriptions only when it first learns of it; a stream that replaces
            // one lost with its connection (possibly before that greeting got through) repeats it (pubsub README: the
            // subscriptions are sent at the start of every new stream).
            if (reattach) await WriteSubscriptionsAsync(stream, linked.Token).ConfigureAwait(false);
            lock (_sync)
            {
                // A duplicate connection closed while this stream was being opened, and another attach took over on
                // the kept connection: that one must stay the writer.
                var current = state.PubsubConnection;
                if (connection.IsClosed || (current is not null && !ReferenceEquals(current, connection) && !current.IsClosed))
                {
                    stream.Reset();
                    return;
                }

                state.PubsubConnection = connection;
            }

            IPAddress? ip = connection.RemoteAddress.TryGetTcpTarget(out _, out _, out var addr) ? addr : null;
            _sender.AttachOutbound(peer, protocol, stream.Output, connection.Direction == ConnectionDirection.Outbound, ip);
        }
        catch (Exception ex) when (IsDialFailure(ex) || ex is YamuxStreamException)
        {
            // The peer does not speak pubsub, or the connection went away: gossip simply skips it.
            LogPubsubSetupFailed(_logger, peer, ex.Message);
            if ((connection.IsClosed || Host.IsSuperseded(connection)) && Volatile.Read(ref _state) == 1 && OtherConnection(peer, state, connection) is { } next)
            {
                retried = true;
                // A closed connection's OnConnectionClosed retries (or already has); a draining one may stay open a while.
                if (!connection.IsClosed) StartBackground(AttachPubsubAsync(peer, state, next, reattach: true));
            }
        }
        finally
        {
            if (!retried) state.Ready.TrySetResult();
        }
    }

    // An open connection to the peer other than the one given, the host's preferred first; null when none.
    private Libp2pConnection? OtherConnection(PeerId peer, PeerState state, Libp2pConnection connection)
    {
        lock (_sync)
        {
            if (!_peers.TryGetValue(peer, out var current) || !ReferenceEquals(current, state)) return null;
            if (Host.PreferredConnection(peer) is { IsClosed: false } preferred && !ReferenceEquals(preferred, connection)
                && state.Connections.Contains(preferred))
            {
                return preferred;
            }

            foreach (var c in state.Connections)
            {
                if (!ReferenceEquals(c, connection) && !c.IsClosed) return c;
            }

            return null;
        }
    }

    private async Task WriteSubscriptionsAsync(Libp2pStream stream, CancellationToken cancellationToken)
    {
        var hello = new PubsubRpc();
        foreach (var topic in _subscriptions.Keys) hello.Subscriptions.Add(new SubOpts { Subscribe = true, Topic = topic });
        if (hello.IsEmpty) return;
        var frame = new byte[RpcFraming.GetFramedLength(hello)];
        RpcFraming.WriteFrame(hello, frame);
        await stream.Output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    private async Task HandlePubsubInboundAsync(Libp2pStream stream, CancellationToken cancellationToken)
    {
        var peer = stream.RemotePeer;
        PeerState state;
        lock (_sync)
        {
            if (!_peers.TryGetValue(peer, out state!))
            {
                // The stream can arrive before ConnectionOpened has run for its connection.
                state = new PeerState();
                _peers[peer] = state;
            }

            // The host starts a session before it raises ConnectionOpened, so this stream's connection may not be
            // counted yet. Count it now: otherwise another connection to the peer closing in between looked like the
            // last one, the peer was detached from the router, and the greeting this stream carries (the peer's
            // subscriptions, sent once) was dropped as coming from an unknown peer.
            if (!stream.Connection.IsClosed && !state.Connections.Contains(stream.Connection)) state.Connections.Add(stream.Connection);
        }

        try
        {
            await state.Ready.Task.WaitAsync(_options.PubsubSetupTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Read anyway; the router ignores RPCs of peers it does not know.
        }

        await _sender.RunInboundAsync(peer, stream.Input.AsStream(), cancellationToken).ConfigureAwait(false);
    }

    private void OnPeerSubscription(PeerId peer, string topic, bool subscribed) => Raise(PeerSubscriptionChanged, peer, topic, subscribed);

    private void OnPeerIdentified(object? sender, Libp2pConnection connection)
    {
        var id = connection.Identify;
        if (id is null) return;
        var addrs = DialableAddresses(id.ListenAddresses, connection);
        if (addrs.Count > 0) PeerStore?.AddOrUpdate(connection.RemotePeer, addrs);
        if (Dht is not null && id.Protocols.Contains(Dht.Options.ProtocolId)) Dht.AddPeer(connection.RemotePeer, addrs);
    }

    /// <summary>Identify listen addresses, with 0.0.0.0 / :: replaced by the IP the connection came from.</summary>
    private static List<Multiaddr> DialableAddresses(IReadOnlyList<Multiaddr> listen, Libp2pConnection connection)
    {
        var result = new List<Multiaddr>();
        connection.RemoteAddress.TryGetTcpTarget(out _, out _, out var remoteIp);
        foreach (var a in listen)
        {
            if (!a.TryGetTcpTarget(out _, out int port, out var ip)) continue;
            var m = a;
            if (ip is not null && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
            {
                if (remoteIp is null || remoteIp.AddressFamily != ip.AddressFamily) continue;
                m = Multiaddr.FromTcpEndPoint(new IPEndPoint(remoteIp, port));
            }

            if (!result.Contains(m)) result.Add(m);
        }

        return result;
    }

    // ---- discovery ----

    private async Task ConnectInitialPeersAsync(CancellationToken cancellationToken)
    {
        var dials = new List<Task>();
        if (_options.BootstrapPath is not null)
        {
            var errors = new List<DiscoveryInputError>();
            var peers = BootstrapPeers.Load(_options.BootstrapPath, errors);
            foreach (var e in errors) Raise(Error, "bootstrap: " + e);
            foreach (var p in peers)
            {
                if (p.Peer == PeerId) continue;
                Raise(PeerDiscovered, p.Peer, "bootstrap");
                dials.Add(DialReportingAsync(p.Address, cancellationToken));
            }
        }

        if (PeerStore is not null)
        {
            var errors = new List<DiscoveryInputError>();
            PeerStore.Load(errors);
            foreach (var e in errors) Raise(Error, "peer store: " + e);
            int n = 0;
            foreach (var known in PeerStore.Snapshot())
            {
                if (known.Peer == PeerId || n++ >= _options.TargetPeers) continue;
                var addrs = new List<Multiaddr>();
                foreach (var a in known.Addresses) addrs.Add(a.WithPeerId(known.Peer));
                dials.Add(DialAnyAsync(known.Peer, addrs, "peerstore", cancellationToken));
            }
        }

        await Task.WhenAll(dials).ConfigureAwait(false);
        if (Dht is not null && !cancellationToken.IsCancellationRequested)
        {
            // Bootstrap the DHT (kad-dht §Bootstrap): wait for identify of the first peers, then look ourselves up.
            foreach (var c in Host.Connections.Snapshot())
            {
                try
                {
                    await c.Identified.WaitAsync(_options.Host.IdentifyTimeout, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // That peer's identify is slow; the lookup uses whoever is in the table.
                }
            }

            try
            {
                await Dht.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsDialFailure(ex))
            {
                if (!cancellationToken.IsCancellationRequested) LogDhtBootstrapFailed(_logger, ex.Message);
            }
        }
    }

    private async Task DialReportingAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        try
        {
            await ConnectAsync(address, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            Raise(Error, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private void OnDiscovered(PeerId peer, IReadOnlyList<Multiaddr> addresses, string source)
    {
        if (peer == PeerId || Volatile.Read(ref _state) != 1) return;
        var bare = new List<Multiaddr>();
        foreach (var a in addresses) bare.Add(a.WithoutPeerId());
        PeerStore?.AddOrUpdate(peer, bare);
        if (Host.Connections.IsConnected(peer) || Host.Connections.Count >= _options.TargetPeers) return;
        Raise(PeerDiscovered, peer, source);
        var full = new List<Multiaddr>();
        foreach (var a in bare) full.Add(a.WithPeerId(peer));
        StartBackground(DialAnyAsync(peer, full, source, _stopping.Token));
    }

    private async Task DialAnyAsync(PeerId peer, List<Multiaddr> addresses, string source, CancellationToken cancellationToken)
    {
        if (!_dialing.TryAdd(peer, 0)) return;
        try
        {
            string? last = null;
            foreach (var a in addresses)
            {
                if (!KadDht.IsDialable(a) || Host.Connections.IsConnected(peer)) continue;
                try
                {
                    await Host.DialAsync(a, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (IsDialFailure(ex) && !cancellationToken.IsCancellationRequested)
                {
                    last = ex.Message;
                }
            }

            if (last is not null) LogDiscoveredDialFailed(_logger, peer, source, last);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            _dialing.TryRemove(peer, out _);
        }
    }

    private void StartBackground(Task task)
    {
        lock (_sync)
        {
            _background.RemoveAll(static t => t.IsCompleted);
            _background.Add(task);
        }
    }

    // ---- events ----

    private void Raise<T>(Action<T>? handler, T arg)
    {
        if (handler is null) return;
        try
        {
            handler(arg);
        }
#pragma warning disable CA1031 // A subscriber's bug must not break the node.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEventHandlerFailed(_logger, ex.GetType().Name, ex.Message);
        }
    }

    private void Raise<T1, T2>(Action<T1, T2>? handler, T1 a, T2 b)
    {
        if (handler is null) return;
        try
        {
            handler(a, b);
        }
#pragma warning disable CA1031 // A subscriber's bug must not break the node.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEventHandlerFailed(_logger, ex.GetType().Name, ex.Message);
        }
    }

    private void Raise<T1, T2, T3>(Action<T1, T2, T3>? handler, T1 a, T2 b, T3 c)
    {
        if (handler is null) return;
        try
        {
            handler(a, b, c);
        }
#pragma warning disable CA1031 // A subscriber's bug must not break the node.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEventHandlerFailed(_logger, ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(3500, LogLevel.Debug, "pubsub stream to {PeerId} not set up: {Reason}")]
    private static partial void LogPubsubSetupFailed(ILogger logger, PeerId peerId, string reason);

    [LoggerMessage(3501, LogLevel.Debug, "dial of {PeerId} found by {Source} failed: {Reason}")]
    private static partial void LogDiscoveredDialFailed(ILogger logger, PeerId peerId, string source, string reason);

    [LoggerMessage(3502, LogLevel.Information, "DHT bootstrap failed: {Reason}")]
    private static partial void LogDhtBootstrapFailed(ILogger logger, string reason);

    [LoggerMessage(3503, LogLevel.Warning, "node event handler threw {Type}: {Reason}")]
    private static partial void LogEventHandlerFailed(ILogger logger, string type, string reason);

    [LoggerMessage(3504, LogLevel.Warning, "node stop step failed with {Type}: {Reason}")]
    private static partial void LogStopStepFailed(ILogger logger, string type, string reason);

    private sealed class PeerState
    {
        public List<Libp2pConnection> Connections { get; } = [];

        public Libp2pConnection? PubsubConnection { get; set; }

        /// <summary>Set once PeerConnected was raised and the outbound pubsub stream set up for this state.</summary>
        public bool Announced { get; set; }

        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

// The libp2p host: transports, the upgrade chain and the protocol handler registry.
//
//   TCP -> multistream(/noise) -> Noise XX -> multistream(/yamux/1.0.0) -> yamux -> streams -> multistream(protocol)
//
// The dialer is the mss initiator, the Noise initiator and the yamux client (odd ids); the listener the mirror.
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Multistream;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Protocols.Identify;
using SlipsP2P.Libp2p.Protocols.Ping;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Transport;

/// <summary>
/// A libp2p host: listens and dials TCP multiaddrs, upgrades connections, dispatches inbound streams to handlers by
/// protocol id, runs identify and ping, and enforces connection limits. Thread-safe.
/// </summary>
public sealed partial class Libp2pHost : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Libp2pStreamHandler> _handlers = new(StringComparer.Ordinal);
    private readonly List<Socket> _listeners = [];
    private readonly List<Multiaddr> _listenAddresses = [];
    private readonly List<Task> _background = [];
    private readonly Lock _sync = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ProtocolRegistry _registry;
    private int _disposed;

    /// <summary>Creates a host for <paramref name="identity"/> (the host does not dispose the key).</summary>
    public Libp2pHost(Ed25519KeyPair identity, Libp2pHostOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        Identity = identity;
        Options = options ?? new Libp2pHostOptions();
        Options.Validate();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("SlipsP2P.Libp2p.Host");
        TimeProvider = timeProvider ?? TimeProvider.System;
        Connections = new ConnectionManager(Options);
        _registry = new ProtocolRegistry(_handlers);

        SetStreamHandler(IdentifyProtocol.ProtocolId, (s, ct) => IdentifyProtocol.RespondAsync(this, s, ct));
        SetStreamHandler(IdentifyProtocol.PushProtocolId, OnIdentifyPushAsync);
        SetStreamHandler(PingProtocol.ProtocolId, PingProtocol.RespondAsync);
        if (Options.IdleTimeout > TimeSpan.Zero)
        {
            var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, Math.Min(Options.IdleTimeout.Ticks / 2, 10 * TimeSpan.TicksPerSecond)));
            var timer = new PeriodicTimer(period, TimeProvider);
            _background.Add(Task.Run(() => IdleSweepLoopAsync(timer)));
        }
    }

    /// <summary>Raised after a connection is upgraded (before identify completes).</summary>
    public event EventHandler<Libp2pConnection>? ConnectionOpened;

    /// <summary>Raised after a connection has closed.</summary>
    public event EventHandler<Libp2pConnection>? ConnectionClosed;

    /// <summary>Raised when identify (or a push) told us about a peer; see <see cref="Libp2pConnection.Identify"/>.</summary>
    public event EventHandler<Libp2pConnection>? PeerIdentified;

    /// <summary>Our identity key.</summary>
    public Ed25519KeyPair Identity { get; }

    /// <summary>Our peer id.</summary>
    public PeerId PeerId => Identity.PeerId;

    /// <summary>The settings.</summary>
    public Libp2pHostOptions Options { get; }

    /// <summary>The clock for timeouts, keep-alive and idle checks.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The live connections and their limits.</summary>
    public ConnectionManager Connections { get; }

    /// <summary>The addresses we listen on (with real ports), without /p2p.</summary>
    public IReadOnlyList<Multiaddr> ListenAddresses
    {
        get
        {
            lock (_sync) return [.. _listenAddresses];
        }
    }

    /// <summary>
    /// The addresses identify advertises: <see cref="ListenAddresses"/> with wildcard listeners (0.0.0.0, ::) expanded
    /// to the machine's unicast addresses of that family.
    /// </summary>
    public IReadOnlyList<Multiaddr> GetAdvertisedAddresses()
    {
        var result = new List<Multiaddr>();
        foreach (var a in ListenAddresses)
        {
            if (!a.TryGetTcpTarget(out _, out int port, out var ip) || ip is null || !(ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
            {
                result.Add(a);
                continue;
            }

            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up) continue;
                foreach (var u in nic.GetIPProperties().UnicastAddresses)
                {
                    if (u.Address.AddressFamily != ip.AddressFamily || u.Address.IsIPv6LinkLocal) continue;
                    var ma = Multiaddr.FromTcpEndPoint(new IPEndPoint(u.Address, port));
                    if (!result.Contains(ma)) result.Add(ma);
                }
            }
        }

        return result;
    }

    /// <summary>The protocols we accept inbound (advertised by identify).</summary>
    public IReadOnlyCollection<string> Protocols => _registry.Protocols;

    /// <summary>Registers (or replaces) the handler for inbound streams of <paramref name="protocol"/>.</summary>
    public void SetStreamHandler(string protocol, Libp2pStreamHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        ArgumentNullException.ThrowIfNull(handler);
        if (protocol.Length > MultistreamMessage.MaxMessageLength) throw new ArgumentException("protocol id longer than 1024 bytes", nameof(protocol));
        _handlers[protocol] = handler;
    }

    /// <summary>Removes the handler for <paramref name="protocol"/>.</summary>
    public void RemoveStreamHandler(string protocol) => _handlers.TryRemove(protocol, out _);

    /// <summary>Listens on a /ip4|ip6/&lt;addr&gt;/tcp/&lt;port&gt; multiaddr (port 0 picks one) and returns the bound address.</summary>
    public Task<Multiaddr> ListenAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.TryGetTcpTarget(out _, out int port, out var ip) || ip is null)
        {
            throw new ArgumentException($"cannot listen on '{address}': only /ip4|ip6/<address>/tcp/<port> is supported", nameof(address));
        }

        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(ip, port));
            socket.Listen(128);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on '{address}': {ex.Message}", ex);
        }

        var bound = Multiaddr.FromTcpEndPoint((IPEndPoint)socket.LocalEndPoint!);
        lock (_sync)
        {
            _listeners.Add(socket);
            _listenAddresses.Add(bound);
            _background.Add(Task.Run(() => AcceptLoopAsync(socket, bound), CancellationToken.None));
        }

        LogListening(_logger, bound, PeerId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(bound);
    }

    /// <summary>
    /// Dials a TCP multiaddr (optionally ending in /p2p/&lt;id&gt;, which the remote must prove) and upgrades it.
    /// Reuses an open connection when the address names a peer we are already connected to.
    /// </summary>
    public async Task<Libp2pConnection> DialAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        var expected = address.PeerId;
        if (expected == PeerId) throw new ArgumentException("refusing to dial ourselves", nameof(address));
        if (expected is null) return await DialNewAsync(address, null, cancellationToken).ConfigureAwait(false);
        if (PreferredConnection(expected) is { } existing) return existing;
        return await DialJoinedAsync(address, expected, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Libp2pConnection> DialNewAsync(Multiaddr address, PeerId? expected, CancellationToken cancellationToken)
    {
        if (!address.TryGetTcpTarget(out string host, out int port, out _))
        {
            throw new ArgumentException($"cannot dial '{address}': only /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<id>] is supported", nameof(address));
        }

        if (!Connections.TryReserve(null, out string reason)) throw new IOException($"cannot dial '{address}': {reason}");
        Libp2pConnection? connection = null;
        try
        {
            using var timeout = new CancellationTokenSource(Options.DialTimeout, TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken, _stopping.Token);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                throw new IOException($"cannot dial '{address}': {(ex is OperationCanceledException ? "timed out" : ex.Message)}", ex);
            }

            var transport = new SocketTransport(socket);
            var remote = Multiaddr.FromTcpEndPoint((IPEndPoint)socket.RemoteEndPoint!);
            var local = Multiaddr.FromTcpEndPoint((IPEndPoint)socket.LocalEndPoint!);
            try
            {
                connection = await UpgradeCoreAsync(transport, ConnectionDirection.Outbound, remote, local, expected, transport, null, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await transport.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            Connections.Complete(connection, null);
        }

        return KeepOne(connection);
    }

    /// <summary>
    /// Upgrades an already-connected duplex pipe (in-memory links, other transports). <paramref name="owner"/> is
    /// disposed when the connection ends.
    /// </summary>
    public async Task<Libp2pConnection> UpgradeAsync(IDuplexPipe transport, ConnectionDirection direction, Multiaddr remoteAddress,
        PeerId? expectedRemote, IAsyncDisposable? owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(remoteAddress);
        if (!Connections.TryReserve(null, out string reason)) throw new IOException($"cannot accept connection from {remoteAddress}: {reason}");
        Libp2pConnection? connection = null;
        try
        {
            connection = await UpgradeCoreAsync(transport, direction, remoteAddress, null, expectedRemote, owner, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Connections.Complete(connection, null);
        }

        return KeepOne(connection);
    }

    /// <summary>Opens a stream to a connected peer (dial first); negotiates the first protocol it accepts.</summary>
    public Task<Libp2pStream> NewStreamAsync(PeerId peer, IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var connection = PreferredConnection(peer) ?? throw new InvalidOperationException($"not connected to {peer}");
        return connection.OpenStreamAsync(protocols, cancellationToken);
    }

    /// <summary>libp2p ping to a connected peer.</summary>
    public Task<TimeSpan> PingAsync(PeerId peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var connection = PreferredConnection(peer) ?? throw new InvalidOperationException($"not connected to {peer}");
        return connection.PingAsync(cancellationToken);
    }

    /// <summary>Sends identify push to every connected peer that supports it (after protocols change).</summary>
    public async Task PushIdentifyAsync(CancellationToken cancellationToken)
    {
        foreach (var c in Connections.Snapshot())
        {
            if (c.Identify?.Protocols.Contains(IdentifyProtocol.PushProtocolId) != true) continue;
            try
            {
                await IdentifyProtocol.PushAsync(this, c, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionFailure(ex))
            {
                LogIdentifyFailed(_logger, c.RemotePeer, c.Id, ex.Message);
            }
        }
    }

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        Socket[] listeners;
        Task[] background;
        lock (_sync)
        {
            listeners = [.. _listeners];
            background = [.. _background];
        }

        foreach (var l in listeners) l.Dispose();
        var closing = new List<Task>();
        foreach (var c in Connections.Snapshot()) closing.Add(c.DisposeAsync().AsTask());
        await Task.WhenAll(closing).ConfigureAwait(false);
        await Task.WhenAll(background).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static bool IsConnectionFailure(Exception ex) => ex is IOException or InvalidDataException or MultistreamException
        or NoiseException or YamuxSessionException or YamuxStreamException or OperationCanceledException or InvalidOperationException;

    private async Task AcceptLoopAsync(Socket listener, Multiaddr listenAddress)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (!_stopping.IsCancellationRequested) LogAcceptFailed(_logger, listenAddress, ex.Message);
                return;
            }

            socket.NoDelay = true;
            var remoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
            var ip = remoteEndPoint.Address.IsIPv4MappedToIPv6 ? remoteEndPoint.Address.MapToIPv4() : remoteEndPoint.Address;
            if (!Connections.TryReserve(ip, out string reason))
            {
                LogInboundRejected(_logger, remoteEndPoint, reason);
                socket.Dispose();
                continue;
            }

            _ = Task.Run(() => AcceptOneAsync(socket, ip, listenAddress), CancellationToken.None);
        }
    }

    private async Task AcceptOneAsync(Socket socket, IPAddress ip, Multiaddr listenAddress)
    {
        var transport = new SocketTransport(socket);
        Libp2pConnection? connection = null;
        var remote = Multiaddr.FromTcpEndPoint((IPEndPoint)socket.RemoteEndPoint!);
        try
        {
            connection = await UpgradeCoreAsync(transport, ConnectionDirection.Inbound, remote, listenAddress, null, transport, ip, _stopping.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever a remote sends during the upgrade must only cost its own connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUpgradeFailed(_logger, remote, ex.GetType().Name, ex.Message);
            await transport.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Connections.Complete(connection, ip);
        }

        if (connection is not null) KeepOne(connection);
    }

    private async Task<Libp2pConnection> UpgradeCoreAsync(IDuplexPipe raw, ConnectionDirection direction, Multiaddr remote, Multiaddr? local,
        PeerId? expected, IAsyncDisposable? owner, IPAddress? inboundIp, CancellationToken cancellationToken)
    {
        bool outbound = direction == ConnectionDirection.Outbound;
        using var timeout = new CancellationTokenSource(Options.UpgradeTimeout, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken, _stopping.Token);
        var ct = linked.Token;
        NoiseConnection? noise = null;
        try
        {
            if (outbound) await MultistreamSelect.SelectAsync(raw, [NoiseSecureChannel.ProtocolId], ct).ConfigureAwait(false);
            else await MultistreamSelect.ListenAsync(raw, s_noiseOnly, ct).ConfigureAwait(false);
            IReadOnlyList<string> offered = Options.InlineMuxerNegotiation ? [YamuxSession.ProtocolId] : [];
            noise = await NoiseSecureChannel.HandshakeAsync(raw, outbound, Identity, expected, offered, ct).ConfigureAwait(false);
            if (noise.RemotePeer == PeerId) throw new NoiseException("remote proved our own peer id");
            if (offered.Count > 0 && noise.RemoteStreamMuxers.Count > 0)
            {
                // Both sides listed muxers: the choice is the first of the initiator's list that both support, and
                // no multistream round follows. We only speak yamux, so it must be on the remote's list.
                if (!noise.RemoteStreamMuxers.Contains(YamuxSession.ProtocolId))
                {
                    throw new NoiseException($"no common stream muxer; remote offered {string.Join(", ", noise.RemoteStreamMuxers)}");
                }
            }
            else if (outbound)
            {
                await MultistreamSelect.SelectAsync(noise, [YamuxSession.ProtocolId], ct).ConfigureAwait(false);
            }
            else
            {
                await MultistreamSelect.ListenAsync(noise, s_yamuxOnly, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            if (noise is not null) await noise.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"upgrade of {remote} timed out after {Options.UpgradeTimeout.TotalSeconds:0.#} s");
        }
        catch
        {
            if (noise is not null) await noise.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        string name = $"{noise.RemotePeer}@{remote}";
        var session = new YamuxSession(noise, isClient: outbound, Options.Yamux, _loggerFactory.CreateLogger("SlipsP2P.Libp2p.Yamux"), TimeProvider, name);
        var connection = new Libp2pConnection(this, noise, session, direction, remote, local, owner);
        session.InboundStreamHandler = ys => HandleInboundStreamAsync(connection, ys);
        session.Start();
        _ = session.Completion.ContinueWith(_ => OnConnectionClosedAsync(connection, inboundIp), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
        LogConnectionOpened(_logger, connection.RemotePeer, connection.Id, direction, remote);
        RaiseSafely(ConnectionOpened, connection);
        if (Options.IdentifyOnConnect) _ = Task.Run(() => IdentifyAsync(connection), CancellationToken.None);
        else connection.SetIdentified(null);
        return connection;
    }

    private async Task OnConnectionClosedAsync(Libp2pConnection connection, IPAddress? inboundIp)
    {
        await connection.DisposeAsync().ConfigureAwait(false);
        Connections.Remove(connection, inboundIp);
        LogConnectionClosed(_logger, connection.RemotePeer, connection.Id);
        RaiseSafely(ConnectionClosed, connection);
    }

    private async Task IdentifyAsync(Libp2pConnection connection)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Options.IdentifyTimeout, TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
            var result = await IdentifyProtocol.RequestAsync(connection, linked.Token).ConfigureAwait(false);
            connection.SetIdentified(result);
            LogIdentified(_logger, connection.RemotePeer, connection.Id, result.AgentVersion ?? "?", result.Protocols.Count);
            RaiseSafely(PeerIdentified, connection);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            LogIdentifyFailed(_logger, connection.RemotePeer, connection.Id, ex.Message);
            connection.SetIdentified(null);
        }
    }

    private async Task OnIdentifyPushAsync(Libp2pStream stream, CancellationToken cancellationToken)
    {
        var result = await IdentifyProtocol.ReceivePushAsync(stream, cancellationToken).ConfigureAwait(false);
        if (result is null) return;
        stream.Connection.Identify = result;
        RaiseSafely(PeerIdentified, stream.Connection);
    }

    private async Task HandleInboundStreamAsync(Libp2pConnection connection, YamuxStream ys)
    {
        string protocol;
        using (var timeout = new CancellationTokenSource(Options.NegotiationTimeout, TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token))
        {
            try
            {
                protocol = await MultistreamSelect.ListenAsync(ys, _registry, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionFailure(ex))
            {
                LogNegotiationFailed(_logger, connection.RemotePeer, connection.Id, ys.Id, ex.Message);
                ys.Reset();
                return;
            }
        }

        if (!_handlers.TryGetValue(protocol, out var handler))
        {
            ys.Reset();
            return;
        }

        var stream = new Libp2pStream(connection, ys, protocol);
        try
        {
            await handler(stream, _stopping.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A handler failure (bad peer input or a bug) resets its stream; it must not reach the session.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandlerFailed(_logger, connection.RemotePeer, connection.Id, protocol, ex.Message);
            stream.Reset();
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task IdleSweepLoopAsync(PeriodicTimer timer)
    {
        using var owned = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                foreach (var c in Connections.FindIdle(TimeProvider))
                {
                    LogIdleClose(_logger, c.RemotePeer, c.Id);
                    await c.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    private void RaiseSafely(EventHandler<Libp2pConnection>? handler, Libp2pConnection connection)
    {
        if (handler is null) return;
        try
        {
            handler(this, connection);
        }
#pragma warning disable CA1031 // A subscriber's bug must not tear down the connection that raised the event.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEventHandlerFailed(_logger, connection.RemotePeer, connection.Id, ex.Message);
        }
    }

    private static readonly ProtocolSet s_noiseOnly = new(NoiseSecureChannel.ProtocolId);
    private static readonly ProtocolSet s_yamuxOnly = new(YamuxSession.ProtocolId);

    private sealed class ProtocolRegistry(ConcurrentDictionary<string, Libp2pStreamHandler> handlers) : IProtocolSet
    {
        public IReadOnlyCollection<string> Protocols => [.. handlers.Keys];

        public bool Contains(string protocol) => handlers.ContainsKey(protocol);
    }
}

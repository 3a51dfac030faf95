// Live libp2p mDNS discovery: https://github.com/libp2p/specs/blob/master/discovery/mdns.md
//
//   every QueryInterval:  multicast "_p2p._udp.local PTR?" on each chosen interface
//   on a service query (ours included, the spec asks nodes to answer their own): multicast our response
//   on a response: TXT dnsaddr=<multiaddr>/p2p/<id> strings ─▶ PeerDiscovered (our own id skipped)
//
// Only IPv4 (224.0.0.251:5353). The service multicasts only on the interfaces it is given or, by default, on every
// up, multicast-capable, non-loopback IPv4 interface of the network namespace it runs in.
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Discovery.Mdns;

/// <summary>mDNS settings with documented defaults.</summary>
public sealed class MdnsOptions
{
    /// <summary>Period between queries (the first is sent at start). Default 10 s (js-libp2p's interval).</summary>
    public TimeSpan QueryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Interface names to use; empty means every up, multicast-capable, non-loopback IPv4 interface.</summary>
    public IList<string> Interfaces { get; } = [];

    /// <summary>TTL of the records we announce, in seconds. Default 120.</summary>
    public uint RecordTtl { get; set; } = 120;

    /// <summary>The UDP port. Default 5353; only tests inside their own namespace should change it.</summary>
    public int Port { get; set; } = MdnsMessages.Port;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (QueryInterval <= TimeSpan.Zero) throw new ArgumentException($"{nameof(QueryInterval)} must be positive");
        if (Port is < 1 or > 65535) throw new ArgumentException($"{nameof(Port)} must be in 1..65535");
    }
}

/// <summary>The libp2p mDNS service on real sockets. Thread-safe; <see cref="Start"/> once.</summary>
public sealed partial class MdnsService : IAsyncDisposable
{
    private readonly PeerId _self;
    private readonly Func<IReadOnlyList<Multiaddr>> _addresses;
    private readonly MdnsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly string _peerName = MdnsMessages.RandomPeerName();
    private readonly List<(string Name, int Index, IPAddress Address)> _interfaces = [];
    private readonly Lock _sendLock = new();
    private Socket? _socket;
    private Task _receive = Task.CompletedTask;
    private Task _query = Task.CompletedTask;

    /// <summary>Creates the service for <paramref name="self"/>; <paramref name="addresses"/> gives our current addresses with /p2p.</summary>
    public MdnsService(PeerId self, Func<IReadOnlyList<Multiaddr>> addresses, MdnsOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(addresses);
        _self = self;
        _addresses = addresses;
        _options = options ?? new MdnsOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SlipsP2P.Libp2p.Mdns");
    }

    /// <summary>Raised (on the receive loop) for each peer announced by someone else, with its addresses (ending in /p2p).</summary>
    public event Action<PeerId, IReadOnlyList<Multiaddr>>? PeerDiscovered;

    /// <summary>The interfaces in use (name and IPv4 address), known after <see cref="Start"/>.</summary>
    public IReadOnlyList<(string Name, IPAddress Address)> Interfaces
    {
        get
        {
            var list = new List<(string, IPAddress)>();
            foreach (var i in _interfaces) list.Add((i.Name, i.Address));
            return list;
        }
    }

    /// <summary>Lists the IPv4 interfaces mDNS would use by default: up, multicast-capable, not loopback.</summary>
    public static List<(string Name, int Index, IPAddress Address)> FindInterfaces(IEnumerable<string>? names)
    {
        var wanted = names is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(names, StringComparer.Ordinal);
        var result = new List<(string, int, IPAddress)>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (wanted.Count > 0 ? !wanted.Contains(nic.Name) : nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown) || !nic.SupportsMulticast) continue;
            var props = nic.GetIPProperties();
            var v4 = props.GetIPv4Properties();
            if (v4 is null) continue;
            foreach (var ua in props.UnicastAddresses)
            {
                if (ua.Address.AddressFamily != AddressFamily.InterNetwork || IPAddress.IsLoopback(ua.Address)) continue;
                result.Add((nic.Name, v4.Index, ua.Address));
                break;
            }
        }

        return result;
    }

    /// <summary>Binds 0.0.0.0:5353, joins 224.0.0.251 on each interface, starts answering and querying.</summary>
    /// <exception cref="IOException">No usable interface, or the socket could not be set up (the message says why).</exception>
    public void Start()
    {
        if (_socket is not null) throw new InvalidOperationException("the mDNS service is already started");
        var interfaces = FindInterfaces(_options.Interfaces);
        if (interfaces.Count == 0)
        {
            throw new IOException(_options.Interfaces.Count > 0
                ? $"mDNS: none of the interfaces {string.Join(", ", _options.Interfaces)} is up with an IPv4 address and multicast"
                : "mDNS: no up, multicast-capable, non-loopback IPv4 interface");
        }

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Any, _options.Port));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            foreach (var (_, index, _) in interfaces)
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(MdnsMessages.MulticastIPv4, index));
            }
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"mDNS: cannot listen on UDP {_options.Port}: {ex.Message}", ex);
        }

        _interfaces.AddRange(interfaces);
        _socket = socket;
        foreach (var (name, _, address) in interfaces) LogInterface(_logger, name, address);
        _receive = Task.Run(ReceiveLoopAsync);
        _query = Task.Run(QueryLoopAsync);
    }

    /// <summary>Sends one service query now.</summary>
    public void Query() => Multicast(MdnsMessages.CreateQuery().ToArray());

    /// <summary>Stops the loops and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        try
        {
            await Task.WhenAll(_receive, _query).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _stop.Dispose();
    }

    private void Multicast(byte[] datagram)
    {
        var socket = _socket;
        if (socket is null) return;
        var group = new IPEndPoint(MdnsMessages.MulticastIPv4, _options.Port);
        lock (_sendLock)
        {
            foreach (var (name, index, _) in _interfaces)
            {
                try
                {
                    // IP_MULTICAST_IF by index takes the index in network byte order (see ip(7) / .NET docs).
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(index));
                    socket.SendTo(datagram, group);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    if (!_stop.IsCancellationRequested) LogSendFailed(_logger, name, ex.Message);
                }
            }
        }
    }

    private async Task QueryLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.QueryInterval, _time);
        try
        {
            do
            {
                Query();
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[DnsMessage.MaxSize];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket!.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (!_stop.IsCancellationRequested) LogReceiveFailed(_logger, ex.Message);
                return;
            }

            if (DnsMessage.TryRead(buffer.AsSpan(0, received.ReceivedBytes), out var message, out _) != System.Buffers.OperationStatus.Done)
            {
                // Any host on the link may send anything to 5353: a malformed datagram costs only itself.
                LogMalformed(_logger, received.RemoteEndPoint, received.ReceivedBytes);
                continue;
            }

            if (MdnsMessages.IsServiceQuery(message))
            {
                Respond();
                continue;
            }

            if (!message.IsResponse) continue;
            var byPeer = new Dictionary<PeerId, List<Multiaddr>>();
            foreach (var pa in MdnsMessages.ExtractPeerAddresses(message))
            {
                if (pa.Peer == _self) continue;
                if (!byPeer.TryGetValue(pa.Peer, out var list))
                {
                    list = [];
                    byPeer[pa.Peer] = list;
                }

                if (list.Count < 32) list.Add(pa.Address);
            }

            foreach (var (peer, addrs) in byPeer) Raise(peer, addrs);
        }
    }

    private void Respond()
    {
        var all = _addresses();
        var announce = new List<Multiaddr>();
        foreach (var a in all)
        {
            // Loopback addresses mean nothing to another host; announce them only when there is nothing else.
            if (a.TryGetTcpTarget(out _, out _, out var ip) && ip is not null && IPAddress.IsLoopback(ip)) continue;
            announce.Add(a);
        }

        if (announce.Count == 0) announce.AddRange(all);
        if (announce.Count == 0) return;
        Multicast(MdnsMessages.CreateResponse(_peerName, announce, _options.RecordTtl).ToArray());
    }

    private void Raise(PeerId peer, List<Multiaddr> addresses)
    {
        var handler = PeerDiscovered;
        if (handler is null) return;
        try
        {
            handler(peer, addresses);
        }
#pragma warning disable CA1031 // A subscriber's bug must not stop discovery.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandlerFailed(_logger, peer, ex.Message);
        }
    }

    [LoggerMessage(3600, LogLevel.Information, "mDNS on {Interface} ({Address})")]
    private static partial void LogInterface(ILogger logger, string @interface, IPAddress address);

    [LoggerMessage(3601, LogLevel.Debug, "mDNS send on {Interface} failed: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string @interface, string reason);

    [LoggerMessage(3602, LogLevel.Warning, "mDNS receive failed: {Reason}")]
    private static partial void LogReceiveFailed(ILogger logger, string reason);

    [LoggerMessage(3603, LogLevel.Debug, "mDNS: malformed datagram of {Length} bytes from {EndPoint}")]
    private static partial void LogMalformed(ILogger logger, EndPoint endPoint, int length);

    [LoggerMessage(3604, LogLevel.Warning, "mDNS PeerDiscovered handler failed for {PeerId}: {Reason}")]
    private static partial void LogHandlerFailed(ILogger logger, PeerId peerId, string reason);
}

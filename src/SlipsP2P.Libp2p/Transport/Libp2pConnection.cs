using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Multistream;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Protocols.Identify;
using SlipsP2P.Libp2p.Protocols.Ping;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Transport;

/// <summary>An upgraded connection (Noise + yamux) to one authenticated peer.</summary>
public sealed class Libp2pConnection : IAsyncDisposable
{
    private static long s_nextId;

    private readonly Libp2pHost _host;
    private readonly NoiseConnection _noise;
    private readonly IAsyncDisposable? _transportOwner;
    private readonly TaskCompletionSource<IdentifyResult?> _identified = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    internal Libp2pConnection(Libp2pHost host, NoiseConnection noise, YamuxSession session, ConnectionDirection direction,
        Multiaddr remoteAddress, Multiaddr? localAddress, IAsyncDisposable? transportOwner)
    {
        _host = host;
        _noise = noise;
        Session = session;
        Direction = direction;
        RemoteAddress = remoteAddress;
        LocalAddress = localAddress;
        _transportOwner = transportOwner;
        Id = Interlocked.Increment(ref s_nextId);
        OpenedAt = host.TimeProvider.GetUtcNow();
    }

    /// <summary>A process-unique connection number (for logs).</summary>
    public long Id { get; }

    /// <summary>The authenticated remote peer.</summary>
    public PeerId RemotePeer => _noise.RemotePeer;

    /// <summary>The remote identity key.</summary>
    public PublicKey RemotePublicKey => _noise.RemotePublicKey;

    /// <summary>The remote address (without /p2p).</summary>
    public Multiaddr RemoteAddress { get; }

    /// <summary>Our local address, when known.</summary>
    public Multiaddr? LocalAddress { get; }

    /// <summary>Who dialed.</summary>
    public ConnectionDirection Direction { get; }

    /// <summary>When the connection was established.</summary>
    public DateTimeOffset OpenedAt { get; }

    /// <summary>The latest identify information, once received.</summary>
    public IdentifyResult? Identify { get; internal set; }

    /// <summary>Completes with the identify result (null when identify failed or is disabled).</summary>
    public Task<IdentifyResult?> Identified => _identified.Task;

    /// <summary>Completes when the connection has closed.</summary>
    public Task Completion => Session.Completion.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>True once closed or closing.</summary>
    public bool IsClosed => Session.IsClosed;

    internal YamuxSession Session { get; }

    /// <summary>Opens a stream and negotiates the first protocol of <paramref name="protocols"/> the remote accepts.</summary>
    /// <exception cref="MultistreamException">The remote supports none of them.</exception>
    public async Task<Libp2pStream> OpenStreamAsync(IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        var stream = Session.OpenStream();
        using var timeout = new CancellationTokenSource(_host.Options.NegotiationTimeout, _host.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            string protocol = await MultistreamSelect.SelectAsync(stream, protocols, linked.Token).ConfigureAwait(false);
            return new Libp2pStream(this, stream, protocol);
        }
        catch
        {
            stream.Reset();
            throw;
        }
    }

    /// <summary>Opens a stream for one protocol.</summary>
    public Task<Libp2pStream> OpenStreamAsync(string protocol, CancellationToken cancellationToken)
        => OpenStreamAsync([protocol], cancellationToken);

    /// <summary>libp2p ping (/ipfs/ping/1.0.0) on this connection.</summary>
    public Task<TimeSpan> PingAsync(CancellationToken cancellationToken)
        => PingProtocol.PingAsync(this, _host.TimeProvider, cancellationToken);

    /// <summary>A yamux-level ping (Ping SYN/ACK on stream 0); returns the round-trip time.</summary>
    public Task<TimeSpan> MuxerPingAsync(CancellationToken cancellationToken) => Session.PingAsync(cancellationToken);

    /// <summary>Closes the connection (GoAway, then the transport).</summary>
    public ValueTask CloseAsync() => DisposeAsync();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await Completion.ConfigureAwait(false);
            return;
        }

        await Session.DisposeAsync().ConfigureAwait(false);

        // Let the GoAway reach the socket, but never wait on a peer that stopped reading: closing the transport
        // unblocks any pending write, and only then are the Noise loops awaited.
        try
        {
            await _noise.WriteCompletion.WaitAsync(TimeSpan.FromSeconds(2), _host.TimeProvider).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or ObjectDisposedException)
        {
            // The remote is not reading, or the socket already failed; close anyway.
        }

        if (_transportOwner is not null) await _transportOwner.DisposeAsync().ConfigureAwait(false);
        await _noise.DisposeAsync().ConfigureAwait(false);
        _identified.TrySetResult(Identify);
    }

    internal void SetIdentified(IdentifyResult? result)
    {
        if (result is not null) Identify = result;
        _identified.TrySetResult(result);
    }

    /// <inheritdoc/>
    public override string ToString() => $"#{Id} {Direction} {RemotePeer} {RemoteAddress}";
}

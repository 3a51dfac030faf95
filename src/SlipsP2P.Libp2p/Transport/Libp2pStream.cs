using System.IO.Pipelines;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Transport;

/// <summary>Handles an inbound stream whose protocol was negotiated. The stream is disposed when the task ends.</summary>
public delegate Task Libp2pStreamHandler(Libp2pStream stream, CancellationToken cancellationToken);

/// <summary>A negotiated stream on a connection: a duplex pipe plus its protocol and peer.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "libp2p's name for it.")]
public sealed class Libp2pStream : IDuplexPipe, IAsyncDisposable
{
    private readonly YamuxStream _stream;

    internal Libp2pStream(Libp2pConnection connection, YamuxStream stream, string protocol)
    {
        Connection = connection;
        _stream = stream;
        Protocol = protocol;
    }

    /// <summary>The negotiated protocol id.</summary>
    public string Protocol { get; }

    /// <summary>The connection carrying the stream.</summary>
    public Libp2pConnection Connection { get; }

    /// <summary>The remote peer.</summary>
    public PeerId RemotePeer => Connection.RemotePeer;

    /// <summary>The yamux stream id.</summary>
    public uint Id => _stream.Id;

    /// <summary>Bytes from the remote.</summary>
    public PipeReader Input => _stream.Input;

    /// <summary>Bytes to the remote; complete it to half-close.</summary>
    public PipeWriter Output => _stream.Output;

    /// <summary>Aborts the stream in both directions.</summary>
    public void Reset() => _stream.Reset();

    /// <summary>Half-closes (FIN) and stops reading.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stream.Output.CompleteAsync().ConfigureAwait(false);
        await _stream.Input.CompleteAsync().ConfigureAwait(false);
    }
}

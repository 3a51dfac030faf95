using System.IO.Pipelines;
using System.Net.Sockets;

namespace SlipsP2P.Libp2p.Transport;

/// <summary>A connected TCP socket as a duplex pipe. Disposing closes the socket.</summary>
internal sealed class SocketTransport : IDuplexPipe, IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private int _disposed;

    public SocketTransport(Socket socket)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);

        // leaveOpen: completing one direction must not close the socket under the other; DisposeAsync closes it.
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}

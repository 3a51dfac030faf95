using System.IO.Pipelines;
using System.Net.Sockets;

namespace SlipsP2P.Libp2p.Transport;

/// <summary>A connected TCP socket as a duplex pipe. Disposing closes the socket.</summary>
internal sealed class SocketTransport : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Socket read and write buffer size: one Noise frame.</summary>
    internal const int BufferSize = 64 * 1024;

    private readonly NetworkStream _stream;
    private int _disposed;

    public SocketTransport(Socket socket)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);

        // leaveOpen: completing one direction must not close the socket under the other; DisposeAsync closes it.
        // Buffers of one maximal Noise frame (64 KiB) instead of the 4 KiB defaults: a bulk stream then costs one
        // recv/send system call per frame rather than sixteen (bench/libp2p.sh stream: the kernel was a third of the CPU).
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: BufferSize, minimumReadSize: BufferSize / 4, leaveOpen: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: BufferSize, leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}

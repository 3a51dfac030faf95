using System.IO.Pipelines;

namespace SlipsP2P.Libp2p.Yamux;

/// <summary>
/// The stream's output: the outbound pipe's writer, except that a flush (and so a write) after the stream was reset
/// throws <see cref="YamuxStreamException"/> at once. The send loop also fails the pipe when it sees the reset, but
/// only once the thread pool runs it: until then writes went into the pipe and were dropped without an error (seen in
/// CI on a loaded machine, YamuxSessionTests.Reset_ByRemote_LocalWriterAndReaderThrowStreamException).
/// </summary>
internal sealed class YamuxStreamWriter : PipeWriter
{
    private readonly PipeWriter _inner;
    private readonly YamuxStream _stream;

    public YamuxStreamWriter(PipeWriter inner, YamuxStream stream)
    {
        _inner = inner;
        _stream = stream;
    }

    public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.UnflushedBytes;

    public override void Advance(int bytes) => _inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        _stream.ThrowIfReset();
        return _inner.FlushAsync(cancellationToken);
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        _stream.ThrowIfReset();
        return _inner.WriteAsync(source, cancellationToken);
    }
}

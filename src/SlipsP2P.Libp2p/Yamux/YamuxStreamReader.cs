using System.Buffers;
using System.IO.Pipelines;

namespace SlipsP2P.Libp2p.Yamux;

/// <summary>
/// The stream's input: a pipe reader that reports how many bytes the application consumed, so the stream can send
/// WINDOW_UPDATE only for data actually taken (yamux spec: the window grows as the application reads).
/// </summary>
internal sealed class YamuxStreamReader : PipeReader
{
    private readonly PipeReader _inner;
    private readonly YamuxStream _stream;
    private ReadOnlySequence<byte> _last;
    private bool _hasLast;

    public YamuxStreamReader(PipeReader inner, YamuxStream stream)
    {
        _inner = inner;
        _stream = stream;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!_inner.TryRead(out result)) return false;
        _last = result.Buffer;
        _hasLast = true;
        return true;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var pending = _inner.ReadAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            _last = result.Buffer;
            _hasLast = true;
            return new ValueTask<ReadResult>(result);
        }

        return ReadSlowAsync(this, pending);

        static async ValueTask<ReadResult> ReadSlowAsync(YamuxStreamReader self, ValueTask<ReadResult> pending)
        {
            var result = await pending.ConfigureAwait(false);
            self._last = result.Buffer;
            self._hasLast = true;
            return result;
        }
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        long count = _hasLast ? _last.Slice(_last.Start, consumed).Length : 0;
        _inner.AdvanceTo(consumed, examined);
        _last = default;
        _hasLast = false;
        if (count > 0) _stream.OnConsumed(count);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        _inner.Complete(exception);
        _stream.OnReaderCompleted();
    }
}

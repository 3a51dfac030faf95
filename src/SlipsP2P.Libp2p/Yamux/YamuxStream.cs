// yamux streams: https://github.com/hashicorp/yamux/blob/master/spec.md#flow-control
//
// Flow control (spec): each side starts with a 256 KiB window per stream; the window only grows through
// WINDOW_UPDATE, and only Data payload counts against it.
using System.Buffers;
using System.IO.Pipelines;

namespace SlipsP2P.Libp2p.Yamux;

/// <summary>
/// One yamux stream as a duplex pipe. Completing <see cref="Output"/> half-closes (FIN); <see cref="Reset"/> aborts
/// both directions (RST). A remote reset surfaces as a <see cref="YamuxStreamException"/> from reads and writes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A yamux stream is the spec's name.")]
public sealed class YamuxStream : IDuplexPipe
{
    private readonly YamuxSession _session;
    private readonly Pipe _inbound = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private readonly Pipe _outbound = new(new PipeOptions(useSynchronizationContext: false));
    private readonly YamuxStreamReader _reader;
    private readonly YamuxStreamWriter _writer;
    private readonly Lock _sync = new();
    private readonly Lock _writerSync = new();
    private readonly uint _receiveWindowMax;
    private long _sendWindow = YamuxOptions.DefaultWindow;
    private long _receiveWindow;
    private long _consumedSinceUpdate;
    private long _unconsumed;
    private TaskCompletionSource? _windowWaiter;
    private bool _localFin;
    private bool _remoteFin;
    private bool _reset;
    private bool _readerCompleted;
    private bool _inboundCompleted;
    private bool _removed;

    internal YamuxStream(YamuxSession session, uint id, bool outbound)
    {
        _session = session;
        Id = id;
        IsOutbound = outbound;
        _receiveWindowMax = session.Options.ReceiveWindow;

        // Our receive window starts at the spec's 256 KiB; a larger configured window is granted with the SYN/ACK delta.
        _receiveWindow = YamuxOptions.DefaultWindow;
        _reader = new YamuxStreamReader(_inbound.Reader, this);
        _writer = new YamuxStreamWriter(_outbound.Writer, this);
        IsAcknowledged = !outbound;
    }

    /// <summary>The stream id (odd when opened by the client, even by the server).</summary>
    public uint Id { get; }

    /// <summary>True when we opened the stream.</summary>
    public bool IsOutbound { get; }

    /// <summary>True once the remote acknowledged an outbound stream.</summary>
    public bool IsAcknowledged { get; private set; }

    /// <summary>Bytes from the remote.</summary>
    public PipeReader Input => _reader;

    /// <summary>Bytes to the remote. Complete it to send FIN. A flush or write after a reset throws <see cref="YamuxStreamException"/>.</summary>
    public PipeWriter Output => _writer;

    internal uint InitialWindowGrant => _receiveWindowMax - YamuxOptions.DefaultWindow;

    /// <summary>Aborts the stream in both directions and tells the remote (RST).</summary>
    public void Reset()
    {
        lock (_sync)
        {
            if (_reset || (_localFin && _remoteFin)) return;
            _reset = true;
        }

        _session.SendControl(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, Id, 0);
        Abort(new YamuxStreamException(Id, $"yamux stream {Id} was reset locally"));
    }

    internal void StartSending() => _ = Task.Run(SendLoopAsync);

    internal void OnAck()
    {
        lock (_sync) IsAcknowledged = true;
        _session.OnStreamAcknowledged(this);
    }

    internal void OnWindowUpdate(uint delta)
    {
        TaskCompletionSource? waiter;
        lock (_sync)
        {
            _sendWindow += delta;
            if (_sendWindow > uint.MaxValue) throw new YamuxSessionException(GoAwayCode.ProtocolError, $"stream {Id} send window overflow");
            waiter = _windowWaiter;
            _windowWaiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>Called by the session read loop with a Data payload. Throws for a window violation.</summary>
    internal void OnData(ReadOnlySequence<byte> payload)
    {
        lock (_sync)
        {
            if (payload.Length > _receiveWindow)
            {
                throw new YamuxSessionException(GoAwayCode.ProtocolError,
                    $"stream {Id} received {payload.Length} bytes with only {_receiveWindow} left in its window");
            }

            _receiveWindow -= payload.Length;
        }

        if (payload.IsEmpty) return;
        bool delivered = false;

        // The inbound writer is used under _writerSync only: the read loop writes while an application thread may
        // Reset(). The pipe never pauses (pauseWriterThreshold 0), so the flush completes synchronously.
        lock (_writerSync)
        {
            bool discard;
            lock (_sync)
            {
                discard = _readerCompleted || _inboundCompleted;
                if (!discard) _unconsumed += payload.Length;
            }

            if (!discard)
            {
                foreach (var segment in payload) _inbound.Writer.Write(segment.Span);
                var flush = _inbound.Writer.FlushAsync();
                if (!flush.IsCompleted)
                {
                    // Not reachable with pauseWriterThreshold 0; observe it rather than block the read loop.
                    _ = flush.AsTask();
                }

                delivered = true;
            }
        }

        // Nobody reads any more: hand the credit straight back so the remote never stalls on us.
        if (!delivered) ReturnCredit(payload.Length);
    }

    internal void OnRemoteFin()
    {
        bool remove;
        lock (_sync)
        {
            if (_remoteFin || _reset) return;
            _remoteFin = true;
            remove = _localFin;
        }

        CompleteInbound(null);
        if (remove) Remove();
    }

    internal void OnRemoteReset() => Abort(new YamuxStreamException(Id, $"yamux stream {Id} was reset by the remote"));

    internal void Abort(Exception error)
    {
        TaskCompletionSource? waiter;
        lock (_sync)
        {
            _reset = true;
            waiter = _windowWaiter;
            _windowWaiter = null;
        }

        waiter?.TrySetException(error);
        CompleteInbound(error);
        _outbound.Reader.CancelPendingRead();
        Remove();
    }

    /// <summary>The application consumed <paramref name="count"/> bytes.</summary>
    internal void OnConsumed(long count)
    {
        lock (_sync) _unconsumed -= count;
        ReturnCredit(count);
    }

    /// <summary>Grants consumed bytes back to the remote in batches of half a window.</summary>
    private void ReturnCredit(long count)
    {
        uint delta = 0;
        lock (_sync)
        {
            _consumedSinceUpdate += count;
            if (!_reset && _consumedSinceUpdate >= _receiveWindowMax / 2)
            {
                delta = (uint)_consumedSinceUpdate;
                _receiveWindow += delta;
                _consumedSinceUpdate = 0;
            }
        }

        if (delta > 0) _session.SendControl(YamuxFrameType.WindowUpdate, YamuxFlags.None, Id, delta);
    }

    internal void GrantInitialWindow()
    {
        lock (_sync) _receiveWindow = _receiveWindowMax;
    }

    internal void OnReaderCompleted()
    {
        long pending;
        lock (_sync)
        {
            _readerCompleted = true;
            pending = _unconsumed;
            _unconsumed = 0;
        }

        if (pending > 0) ReturnCredit(pending);
    }

    private async Task SendLoopAsync()
    {
        var reader = _outbound.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled || IsReset()) break;
                while (!buffer.IsEmpty)
                {
                    int window = await WaitForSendWindowAsync().ConfigureAwait(false);
                    int chunk = (int)Math.Min(Math.Min(buffer.Length, window), _session.Options.MaxDataFrameSize);
                    lock (_sync) _sendWindow -= chunk;
                    _session.SendData(Id, buffer.Slice(0, chunk));
                    buffer = buffer.Slice(chunk);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    SendFin();
                    break;
                }
            }
        }
        catch (YamuxStreamException ex)
        {
            error = ex;
        }
        catch (YamuxSessionException ex)
        {
            error = ex;
        }
        finally
        {
            // After a reset, the application's next write or flush throws instead of silently dropping data.
            if (error is null && IsReset()) error = new YamuxStreamException(Id, $"yamux stream {Id} was reset");
            await reader.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private void SendFin()
    {
        bool remove;
        lock (_sync)
        {
            if (_localFin || _reset) return;
            _localFin = true;
            remove = _remoteFin;
        }

        _session.SendControl(YamuxFrameType.WindowUpdate, YamuxFlags.Fin, Id, 0);
        if (remove) Remove();
    }

    private void CompleteInbound(Exception? error)
    {
        lock (_writerSync)
        {
            lock (_sync)
            {
                if (_inboundCompleted) return;
                _inboundCompleted = true;
            }

            _inbound.Writer.Complete(error);
        }
    }

    private bool IsReset()
    {
        lock (_sync) return _reset;
    }

    /// <summary>Throws <see cref="YamuxStreamException"/> when the stream was reset (by either side).</summary>
    internal void ThrowIfReset()
    {
        if (IsReset()) throw new YamuxStreamException(Id, $"yamux stream {Id} was reset");
    }

    private ValueTask<int> WaitForSendWindowAsync()
    {
        Task wait;
        lock (_sync)
        {
            if (_reset) throw new YamuxStreamException(Id, $"yamux stream {Id} was reset");
            if (_sendWindow > 0) return new ValueTask<int>((int)Math.Min(_sendWindow, int.MaxValue));
            _windowWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _windowWaiter.Task;
        }

        return WaitSlowAsync(this, wait);

        static async ValueTask<int> WaitSlowAsync(YamuxStream self, Task wait)
        {
            await wait.ConfigureAwait(false);
            return await self.WaitForSendWindowAsync().ConfigureAwait(false);
        }
    }

    private void Remove()
    {
        lock (_sync)
        {
            if (_removed) return;
            _removed = true;
        }

        _session.RemoveStream(this);
    }
}

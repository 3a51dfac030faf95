// yamux session: https://github.com/hashicorp/yamux/blob/master/spec.md
// libp2p profile and js behaviour: https://github.com/libp2p/specs/blob/master/yamux/README.md
//
// One read loop (transport -> frames -> streams) and one write loop (a channel of frames drained in batches into
// the transport with one flush per batch). Only the write loop touches the transport's PipeWriter.
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SlipsP2P.Libp2p.Yamux;

/// <summary>A yamux session over a secured duplex pipe. The TCP dialer is the client and opens odd stream ids.</summary>
public sealed partial class YamuxSession : IAsyncDisposable
{
    /// <summary>The multistream protocol id.</summary>
    public const string ProtocolId = "/yamux/1.0.0";

    private readonly IDuplexPipe _transport;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _name;
    private readonly Channel<OutFrame> _writes = Channel.CreateUnbounded<OutFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<uint, YamuxStream> _streams = new();
    private readonly ConcurrentDictionary<uint, (TaskCompletionSource<TimeSpan> Done, long Started)> _pings = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _sync = new();
    private uint _nextStreamId;
    private uint _lastRemoteStreamId;
    private int _inboundCount;
    private int _unacknowledged;
    private uint _nextPingId;
    private bool _localGoAway;
    private bool _remoteGoAway;
    private bool _closed;
    private Task _readLoop = Task.CompletedTask;
    private Task _writeLoop = Task.CompletedTask;
    private Task _keepAlive = Task.CompletedTask;
    private long _idleSince;

    /// <summary>Creates a session; call <see cref="Start"/> after setting <see cref="InboundStreamHandler"/>.</summary>
    public YamuxSession(IDuplexPipe transport, bool isClient, YamuxOptions? options = null, ILogger? logger = null,
        TimeProvider? timeProvider = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        Options = options ?? new YamuxOptions();
        Options.Validate();
        _transport = transport;
        IsClient = isClient;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _name = name ?? (isClient ? "yamux-client" : "yamux-server");
        _nextStreamId = isClient ? 1u : 2u;
        _idleSince = _time.GetTimestamp();
    }

    /// <summary>The settings in use.</summary>
    public YamuxOptions Options { get; }

    /// <summary>True for the TCP dialer (odd stream ids).</summary>
    public bool IsClient { get; }

    /// <summary>Called (on the thread pool) for each stream the remote opens. Exceptions reset the stream.</summary>
    public Func<YamuxStream, Task>? InboundStreamHandler { get; set; }

    /// <summary>Completes when the session has ended, with the error that ended it, if any.</summary>
    public Task Completion => _completion.Task;

    /// <summary>True once the session ended or is shutting down.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_sync) return _closed || _localGoAway;
        }
    }

    /// <summary>The number of open streams.</summary>
    public int StreamCount => _streams.Count;

    /// <summary>The timestamp (of the session's TimeProvider) since when no stream has been open, or null while busy.</summary>
    public long? IdleSinceTimestamp => _streams.IsEmpty ? Interlocked.Read(ref _idleSince) : null;

    /// <summary>Starts the read, write and keep-alive loops.</summary>
    public void Start()
    {
        _writeLoop = Task.Run(WriteLoopAsync);
        _readLoop = Task.Run(ReadLoopAsync);
        if (Options.KeepAliveInterval > TimeSpan.Zero)
        {
            // The timer starts now (not when the task first runs), so a test clock advanced right after Start counts.
            var timer = new PeriodicTimer(Options.KeepAliveInterval, _time);
            _keepAlive = Task.Run(() => KeepAliveLoopAsync(timer));
        }
    }

    /// <summary>Opens a stream (WindowUpdate SYN). Data may be written before the remote acknowledges it.</summary>
    public YamuxStream OpenStream()
    {
        YamuxStream stream;
        lock (_sync)
        {
            if (_closed || _localGoAway) throw new YamuxSessionException(GoAwayCode.Normal, $"{_name}: session is closed");
            if (_remoteGoAway) throw new YamuxSessionException(GoAwayCode.Normal, $"{_name}: remote sent GoAway, no new streams");
            if (_unacknowledged >= Options.MaxUnacknowledgedStreams)
            {
                throw new YamuxSessionException(GoAwayCode.Normal, $"{_name}: {_unacknowledged} streams wait for an ACK");
            }

            if (_nextStreamId > uint.MaxValue - 2) throw new YamuxSessionException(GoAwayCode.Normal, $"{_name}: stream ids exhausted");
            uint id = _nextStreamId;
            _nextStreamId += 2;
            stream = new YamuxStream(this, id, outbound: true);
            _streams[id] = stream;
            _unacknowledged++;
            // The SYN is queued under the lock that gave out the id, so SYNs reach the wire in id order: the remote
            // takes a SYN whose id is not above the last one it saw for a stale id. Two opens that raced between
            // taking an id and queueing its SYN left the lower id's stream waiting for ever (CI, HostTests). The
            // window is granted first: the remote may send as soon as it has the SYN (a fresh stream's lock, and a
            // write to an unbounded channel: nothing here waits).
            stream.GrantInitialWindow();
            SendControl(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, id, stream.InitialWindowGrant);
        }

        stream.StartSending();
        return stream;
    }

    /// <summary>Sends a ping and returns the round-trip time.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken)
    {
        uint id = Interlocked.Increment(ref _nextPingId);
        var tcs = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[id] = (tcs, _time.GetTimestamp());
        try
        {
            SendControl(YamuxFrameType.Ping, YamuxFlags.Syn, 0, id);
            using var reg = cancellationToken.Register(static s => ((TaskCompletionSource<TimeSpan>)s!).TrySetCanceled(), tcs);
            return await tcs.Task.ConfigureAwait(false);
        }
        finally
        {
            _pings.TryRemove(id, out _);
        }
    }

    /// <summary>Sends GoAway, stops accepting streams, flushes and closes the transport.</summary>
    public async ValueTask CloseAsync(GoAwayCode code = GoAwayCode.Normal)
    {
        lock (_sync)
        {
            if (_localGoAway || _closed)
            {
                goto wait;
            }

            _localGoAway = true;
        }

        SendControl(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)code);
        _writes.Writer.TryComplete();

    wait:
        try
        {
            await _writeLoop.WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogCloseTimeout(_logger, _name);
        }

        // The remote closes its side after our GoAway; do not wait forever for it.
        await _shutdown.CancelAsync().ConfigureAwait(false);
        _transport.Input.CancelPendingRead();
        await _readLoop.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        try
        {
            await _keepAlive.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected at shutdown.
        }

        _shutdown.Dispose();
    }

    internal void SendControl(YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
    {
        if (!_writes.Writer.TryWrite(new OutFrame(new YamuxHeader(type, flags, streamId, length), null, 0)) && LogEnabled(LogLevel.Trace))
        {
            LogFrameDropped(_logger, _name, type, streamId);
        }
    }

    internal void SendData(uint streamId, ReadOnlySequence<byte> data)
    {
        int length = (int)data.Length;
        var array = ArrayPool<byte>.Shared.Rent(length);
        data.CopyTo(array);
        var frame = new OutFrame(new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, streamId, (uint)length), array, length);
        if (!_writes.Writer.TryWrite(frame))
        {
            ArrayPool<byte>.Shared.Return(array);
            throw new YamuxStreamException(streamId, $"{_name}: session closed while stream {streamId} was writing");
        }
    }

    internal void OnStreamAcknowledged(YamuxStream stream)
    {
        lock (_sync) _unacknowledged = Math.Max(0, _unacknowledged - 1);
    }

    internal void RemoveStream(YamuxStream stream)
    {
        if (!_streams.TryRemove(new KeyValuePair<uint, YamuxStream>(stream.Id, stream))) return;
        lock (_sync)
        {
            if (!stream.IsOutbound) _inboundCount--;
            else if (!stream.IsAcknowledged) _unacknowledged = Math.Max(0, _unacknowledged - 1);
        }

        if (_streams.IsEmpty) Interlocked.Exchange(ref _idleSince, _time.GetTimestamp());
    }

    private bool LogEnabled(LogLevel level) => _logger.IsEnabled(level);

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_shutdown.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    if (result.IsCanceled) break;
                    while (true)
                    {
                        var st = YamuxHeader.TryReadFrame(ref buffer, Options.ReceiveWindow, out var header, out var payload);
                        if (st == OperationStatus.NeedMoreData) break;
                        if (st == OperationStatus.InvalidData)
                        {
                            throw new YamuxSessionException(GoAwayCode.ProtocolError, $"{_name}: malformed yamux header or oversized frame");
                        }

                        HandleFrame(header, payload);
                    }

                    if (result.IsCompleted) break;
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (YamuxSessionException ex)
        {
            error = ex;
            LogProtocolError(_logger, _name, ex.Code, ex.Message);
            SendControl(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)ex.Code);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // CloseAsync stopped us.
        }
#pragma warning disable CA1031 // Any failure, including one a peer provokes, must end only this connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
            LogTransportError(_logger, _name, ex.Message);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            Shutdown(error);
        }
    }

    private void Shutdown(Exception? error)
    {
        lock (_sync) _closed = true;
        _writes.Writer.TryComplete();
        var streamError = new YamuxStreamException(0, error is null ? $"{_name}: session closed" : $"{_name}: session failed: {error.Message}");
        foreach (var stream in _streams.Values) stream.Abort(streamError);
        foreach (var ping in _pings.Values) ping.Done.TrySetException(new YamuxSessionException(GoAwayCode.Normal, $"{_name}: session closed"));
        _shutdown.Cancel();
        if (error is null) _completion.TrySetResult();
        else _completion.TrySetException(error);
    }

    private void HandleFrame(YamuxHeader header, ReadOnlySequence<byte> payload)
    {
        if (LogEnabled(LogLevel.Trace)) LogFrame(_logger, _name, header.Type, header.Flags, header.StreamId, header.Length);
        switch (header.Type)
        {
            case YamuxFrameType.Ping:
                if (header.StreamId != 0) throw new YamuxSessionException(GoAwayCode.ProtocolError, $"{_name}: ping on stream {header.StreamId}");
                if (header.Flags == YamuxFlags.Syn)
                {
                    SendControl(YamuxFrameType.Ping, YamuxFlags.Ack, 0, header.Length);
                }
                else if (header.Flags == YamuxFlags.Ack)
                {
                    // The outcome is set before the ping leaves the table, so a ping no longer in flight is decided:
                    // a timeout firing after that finds it answered (PingAsync removes its own entry too).
                    if (_pings.TryGetValue(header.Length, out var p))
                    {
                        p.Done.TrySetResult(_time.GetElapsedTime(p.Started));
                        _pings.TryRemove(header.Length, out _);
                    }
                }
                else
                {
                    throw new YamuxSessionException(GoAwayCode.ProtocolError, $"{_name}: ping with flags {header.Flags}");
                }

                return;
            case YamuxFrameType.GoAway:
                if (header.StreamId != 0) throw new YamuxSessionException(GoAwayCode.ProtocolError, $"{_name}: GoAway on stream {header.StreamId}");
                lock (_sync) _remoteGoAway = true;
                LogRemoteGoAway(_logger, _name, (GoAwayCode)header.Length);
                return;
        }

        if (header.StreamId == 0) throw new YamuxSessionException(GoAwayCode.ProtocolError, $"{_name}: {header.Type} frame on stream 0");
        YamuxStream? stream;
        if ((header.Flags & YamuxFlags.Syn) != 0)
        {
            stream = AcceptStream(header.StreamId);
            if (stream is null) return;
        }
        else if (!_streams.TryGetValue(header.StreamId, out stream))
        {
            // A late frame for a stream we already closed or reset: drop it.
            return;
        }

        if ((header.Flags & YamuxFlags.Ack) != 0 && stream.IsOutbound && !stream.IsAcknowledged) stream.OnAck();
        if ((header.Flags & YamuxFlags.Rst) != 0)
        {
            stream.OnRemoteReset();
            return;
        }

        if (header.Type == YamuxFrameType.WindowUpdate)
        {
            if (header.Length > 0) stream.OnWindowUpdate(header.Length);
        }
        else
        {
            stream.OnData(payload);
        }

        if ((header.Flags & YamuxFlags.Fin) != 0) stream.OnRemoteFin();
    }

    private YamuxStream? AcceptStream(uint id)
    {
        bool remoteIsClient = !IsClient;
        if ((id % 2 == 1) != remoteIsClient)
        {
            throw new YamuxSessionException(GoAwayCode.ProtocolError, $"{_name}: remote opened stream {id} with our id parity");
        }

        if (_streams.TryGetValue(id, out var existing)) return existing; // js also ignores a repeated SYN.
        bool refuse;
        lock (_sync)
        {
            // An id not above the last one is stale (a finished stream's, or a SYN sent out of order): refused with a
            // reset, so that the opener hears of it instead of waiting for an answer.
            bool stale = id <= _lastRemoteStreamId;
            if (!stale) _lastRemoteStreamId = id;
            refuse = stale || _localGoAway || _closed || _inboundCount >= Options.MaxInboundStreams;
            if (!refuse) _inboundCount++;
        }

        if (refuse)
        {
            LogStreamRefused(_logger, _name, id);
            SendControl(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, id, 0);
            return null;
        }

        var stream = new YamuxStream(this, id, outbound: false);
        _streams[id] = stream;
        stream.GrantInitialWindow();
        SendControl(YamuxFrameType.WindowUpdate, YamuxFlags.Ack, id, stream.InitialWindowGrant);
        stream.StartSending();
        var handler = InboundStreamHandler;
        if (handler is null)
        {
            stream.Reset();
            return null;
        }

        _ = Task.Run(() => RunHandlerAsync(handler, stream));
        return stream;
    }

    private async Task RunHandlerAsync(Func<YamuxStream, Task> handler, YamuxStream stream)
    {
        try
        {
            await handler(stream).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A handler bug must only cost its stream, never the session or the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandlerFailed(_logger, _name, stream.Id, ex.Message);
            stream.Reset();
        }
    }

    private async Task WriteLoopAsync()
    {
        var output = _transport.Output;
        var reader = _writes.Reader;
        Exception? error = null;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    try
                    {
                        var span = output.GetSpan(YamuxHeader.Size + frame.Length);
                        frame.Header.Write(span);
                        if (frame.Payload is not null) frame.Payload.AsSpan(0, frame.Length).CopyTo(span[YamuxHeader.Size..]);
                        output.Advance(YamuxHeader.Size + frame.Length);
                    }
                    finally
                    {
                        if (frame.Payload is not null) ArrayPool<byte>.Shared.Return(frame.Payload);
                    }
                }

                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled) break;
            }
        }
#pragma warning disable CA1031 // Any failure, including one a peer provokes, must end only this connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
            LogTransportError(_logger, _name, ex.Message);
        }
        finally
        {
            _writes.Writer.TryComplete();
            while (reader.TryRead(out var frame))
            {
                if (frame.Payload is not null) ArrayPool<byte>.Shared.Return(frame.Payload);
            }

            await output.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private async Task KeepAliveLoopAsync(PeriodicTimer timer)
    {
        using var owned = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(_shutdown.Token).ConfigureAwait(false))
            {
                using var timeout = new CancellationTokenSource(Options.PingTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _shutdown.Token);
                try
                {
                    await PingAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_shutdown.IsCancellationRequested)
                {
                    LogKeepAliveTimeout(_logger, _name);
                    await _shutdown.CancelAsync().ConfigureAwait(false);
                    _transport.Input.CancelPendingRead();
                    _writes.Writer.TryComplete();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Session ended.
        }
        catch (YamuxSessionException)
        {
            // Session ended while a keep-alive ping was in flight.
        }
    }

    private readonly record struct OutFrame(YamuxHeader Header, byte[]? Payload, int Length);

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "{Connection}: yamux protocol error {Code}: {Reason}")]
    private static partial void LogProtocolError(ILogger logger, string connection, GoAwayCode code, string reason);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "{Connection}: yamux transport ended: {Reason}")]
    private static partial void LogTransportError(ILogger logger, string connection, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "{Connection}: remote sent GoAway {Code}")]
    private static partial void LogRemoteGoAway(ILogger logger, string connection, GoAwayCode code);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "{Connection}: refused inbound stream {StreamId}")]
    private static partial void LogStreamRefused(ILogger logger, string connection, uint streamId);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "{Connection}: handler for stream {StreamId} failed: {Reason}")]
    private static partial void LogHandlerFailed(ILogger logger, string connection, uint streamId, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "{Connection}: keep-alive ping timed out; closing")]
    private static partial void LogKeepAliveTimeout(ILogger logger, string connection);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "{Connection}: GoAway not flushed in time")]
    private static partial void LogCloseTimeout(ILogger logger, string connection);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Trace, Message = "{Connection}: dropped {Type} frame for stream {StreamId} after close", SkipEnabledCheck = true)]
    private static partial void LogFrameDropped(ILogger logger, string connection, YamuxFrameType type, uint streamId);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Trace, Message = "{Connection}: recv {Type} {Flags} stream {StreamId} length {Length}", SkipEnabledCheck = true)]
    private static partial void LogFrame(ILogger logger, string connection, YamuxFrameType type, YamuxFlags flags, uint streamId, uint length);
}

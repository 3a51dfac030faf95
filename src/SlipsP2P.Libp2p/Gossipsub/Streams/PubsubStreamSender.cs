// The seam between the router and the host's streams (brief §10.1): each side opens ONE outbound stream per peer for
// writing and only reads the peer's inbound stream; every RPC is lp-framed; the first RPC on a new outbound stream
// carries our subscriptions (the router queues it on AddPeer).
//
//   host: outbound stream negotiated ─▶ AttachOutbound(peer, protocol, stream, outbound, ip)  ─▶ router.AddPeer
//         inbound stream accepted   ─▶ RunInboundAsync(peer, stream)  (read loop: frames ─▶ router.HandleRpc)
//         connection closed         ─▶ Detach(peer)                   ─▶ router.RemovePeer
//
// Bounds: the read loop awaits router.HandleRpcAsync, so a peer that sends faster than we verify is slowed by yamux
// flow control. Each peer's write queue is bounded in bytes; an RPC that does not fit is dropped and counted (go and
// js drop too). Local publishes wait (WaitForCapacityAsync) while a queue is above half its bound, unless that peer
// has made no write progress for the stall timeout: a stalled peer loses messages, it does not stall everyone.
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub.Streams;

/// <summary>
/// An <see cref="IPubsubPeerSender"/> over streams: one bounded write queue and writer task per peer, plus the
/// inbound read loop. Create it, then create the router with it and call <see cref="Bind"/>.
/// </summary>
public sealed class PubsubStreamSender : IPubsubPeerSender, IAsyncDisposable
{
    private readonly ConcurrentDictionary<PeerId, PeerWriter> _writers = new();
    private readonly int _queueCapacity;
    private readonly int _maxRpcSize;
    private readonly long _maxQueuedBytes;
    private readonly TimeSpan _stallTimeout;
    private readonly TimeProvider _time;
    private GossipsubRouter? _router;
    private int _congested;
    private long _droppedRpcs;
    private long _droppedMessages;

    /// <summary>
    /// Default time a peer's congested queue may make no write progress before publishes stop waiting for it. Long
    /// enough for a live peer verifying a full budget on a crowded machine (2 s was not, at load 50).
    /// </summary>
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default bound of one peer's write queue in bytes.</summary>
    public const long DefaultMaxQueuedBytes = 4 * 1024 * 1024;

    /// <summary>Creates the sender.</summary>
    /// <param name="maxRpcSize">Largest inbound frame accepted (the router's MaxRpcSize).</param>
    /// <param name="queueCapacity">RPCs queued per peer before sends fail (the router then counts the peer as slow).</param>
    public PubsubStreamSender(int maxRpcSize = RpcFraming.DefaultMaxRpcSize, int queueCapacity = 4096)
        : this(maxRpcSize, queueCapacity, DefaultMaxQueuedBytes, DefaultStallTimeout, null)
    {
    }

    /// <summary>Creates the sender with explicit queue bounds.</summary>
    /// <param name="maxRpcSize">Largest inbound frame accepted (the router's MaxRpcSize).</param>
    /// <param name="queueCapacity">RPCs queued per peer before sends fail.</param>
    /// <param name="maxQueuedBytes">Bytes queued per peer before RPCs are dropped (one RPC is always accepted into an empty queue).</param>
    /// <param name="stallTimeout">How long a peer's full queue may make no progress before local publishes stop waiting for it.</param>
    /// <param name="timeProvider">Clock for the stall timeout.</param>
    public PubsubStreamSender(int maxRpcSize, int queueCapacity, long maxQueuedBytes, TimeSpan stallTimeout, TimeProvider? timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueuedBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stallTimeout, TimeSpan.Zero);
        _maxRpcSize = maxRpcSize;
        _queueCapacity = queueCapacity;
        _maxQueuedBytes = maxQueuedBytes;
        _stallTimeout = stallTimeout;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>RPCs dropped because a peer's write queue was full or the peer was gone.</summary>
    public long DroppedRpcs => Interlocked.Read(ref _droppedRpcs);

    /// <summary>Messages inside the dropped RPCs.</summary>
    public long DroppedMessages => Interlocked.Read(ref _droppedMessages);

    /// <summary>Raised when a peer exchange candidate arrives (the host may dial it).</summary>
    public event Action<PeerId, byte[]?>? PeerExchange;

    /// <summary>Connects the sender to its router (once, before streams are attached).</summary>
    public void Bind(GossipsubRouter router) => _router = router ?? throw new ArgumentNullException(nameof(router));

    /// <summary>Our outbound pubsub stream to <paramref name="peer"/> is negotiated: start writing to it.</summary>
    public void AttachOutbound(PeerId peer, PubsubProtocol protocol, Stream stream, bool outboundConnection, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Attach(peer, protocol, PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)), ownsWriter: true, outboundConnection, address);
    }

    /// <summary>
    /// Our outbound pubsub stream to <paramref name="peer"/> is negotiated: start writing to its pipe directly (no
    /// stream adapter, so frames go into the stream's own buffers without another copy). The writer is left open
    /// when writing ends, as the stream overload leaves its stream open.
    /// </summary>
    public void AttachOutbound(PeerId peer, PubsubProtocol protocol, PipeWriter output, bool outboundConnection, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        Attach(peer, protocol, output, ownsWriter: false, outboundConnection, address);
    }

    private void Attach(PeerId peer, PubsubProtocol protocol, PipeWriter output, bool ownsWriter, bool outboundConnection, IPAddress? address)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var router = _router ?? throw new InvalidOperationException("Bind the router first");
        var writer = new PeerWriter(this, output, ownsWriter);
        if (_writers.TryRemove(peer, out var old)) old.Complete();
        _writers[peer] = writer;
        router.AddPeer(peer, protocol, outboundConnection, address);
    }

    /// <summary>The peer's connection is gone.</summary>
    public void Detach(PeerId peer)
    {
        if (_writers.TryRemove(peer, out var w)) w.Complete();
        _router?.RemovePeer(peer);
    }

    /// <summary>
    /// Reads lp-framed RPCs from the peer's inbound stream until it ends. Returns normally at end of stream;
    /// throws <see cref="InvalidDataException"/> naming the peer for an oversized or undecodable frame (the host
    /// should then reset the stream).
    /// </summary>
    public async Task RunInboundAsync(PeerId peer, Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            await RunInboundAsync(peer, reader, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    // The read loop goes through a stream adapter on purpose: it takes bytes out of the yamux stream as they come
    // (returning window credit) and assembles a frame in its own buffer, so that an RPC larger than the yamux receive
    // window (256 KiB; RPCs may be up to MaxRpcSize) can arrive. Reading the yamux pipe directly and consuming only
    // whole frames would never grant the window the rest of such a frame needs: the sender would stall for good.
    private async Task RunInboundAsync(PeerId peer, PipeReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(reader);
        var router = _router ?? throw new InvalidOperationException("Bind the router first");
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (true)
            {
                var status = RpcFraming.TryReadFrame(ref buffer, _maxRpcSize, out var payload);
                if (status == OperationStatus.NeedMoreData) break;
                if (status != OperationStatus.Done)
                {
                    throw new InvalidDataException($"pubsub stream from {peer}: bad length prefix or frame over {_maxRpcSize} bytes");
                }

                if (RpcFraming.TryDecode(payload, out var rpc) != OperationStatus.Done)
                {
                    throw new InvalidDataException($"pubsub stream from {peer}: undecodable RPC of {payload.Length} bytes");
                }

                // Backpressure: wait while this peer has too many messages in verification (see the file header).
                var handled = router.HandleRpcAsync(peer, rpc, cancellationToken);
                if (!handled.IsCompletedSuccessfully) await handled.ConfigureAwait(false);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty) throw new InvalidDataException($"pubsub stream from {peer}: ended inside a frame");
                return;
            }
        }
    }

    /// <inheritdoc />
    public bool TrySend(PeerId peer, PubsubRpc rpc)
    {
        if (_writers.TryGetValue(peer, out var w) && w.TryQueue(rpc)) return true;
        Interlocked.Increment(ref _droppedRpcs);
        Interlocked.Add(ref _droppedMessages, rpc.Publish.Count);
        return false;
    }

    /// <inheritdoc />
    public bool HasCapacity => Volatile.Read(ref _congested) == 0;

    /// <inheritdoc />
    public ValueTask WaitForCapacityAsync(CancellationToken cancellationToken)
        => Volatile.Read(ref _congested) == 0 ? ValueTask.CompletedTask : WaitForCapacitySlowAsync(cancellationToken);

    private async ValueTask WaitForCapacitySlowAsync(CancellationToken cancellationToken)
    {
        foreach (var w in _writers.Values)
        {
            while (w.TryGetCongestion(out var drained, out var remaining))
            {
                try
                {
                    await drained.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // The peer made no progress for the stall timeout: its queue drops instead of pacing us.
                    break;
                }
            }
        }
    }

    /// <inheritdoc />
    public void OnPeerExchange(PeerId peer, byte[]? signedPeerRecord) => PeerExchange?.Invoke(peer, signedPeerRecord);

    /// <summary>Where peer exchange finds a peer's signed peer record (the host's identify results); none when unset.</summary>
    public Func<PeerId, byte[]?>? SignedPeerRecords { get; set; }

    /// <inheritdoc />
    public byte[]? SignedPeerRecordOf(PeerId peer) => SignedPeerRecords?.Invoke(peer);

    /// <summary>Completes every writer and waits for them to drain; a writer still blocked after the stall timeout is abandoned.</summary>
    public async ValueTask DisposeAsync()
    {
        var all = _writers.Values.ToArray();
        _writers.Clear();
        foreach (var w in all) w.Complete();
        var drained = Task.WhenAll(Array.ConvertAll(all, static w => w.Completion));
        try
        {
            await drained.WaitAsync(_stallTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A peer that stopped reading must not hang shutdown: cancel the blocked flushes.
            foreach (var w in all) w.Abort();
            await drained.ConfigureAwait(false);
        }
    }

    private sealed class PeerWriter : IDisposable
    {
        // Flush at least every this many bytes, so that progress (the queue's byte count, the stall clock) is seen
        // every 256 KiB the peer reads rather than once per megabyte.
        private const int MaxBatchBytes = 256 * 1024;
        private readonly PubsubStreamSender _owner;
        private readonly Channel<(PubsubRpc Rpc, int Size)> _queue;
        private readonly PipeWriter _output;
        private readonly bool _ownsOutput;
        private readonly Lock _lock = new();
        private readonly CancellationTokenSource _abort = new();
        private long _queuedBytes;
        private long _lastProgress;
        private bool _congested;
        private bool _completed;
        private TaskCompletionSource? _drained;

        public PeerWriter(PubsubStreamSender owner, PipeWriter output, bool ownsOutput)
        {
            _owner = owner;
            _output = output;
            _ownsOutput = ownsOutput;
            _queue = Channel.CreateBounded<(PubsubRpc, int)>(new BoundedChannelOptions(owner._queueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            Completion = Task.Run(RunAsync);
        }

        public Task Completion { get; }

        public bool TryQueue(PubsubRpc rpc)
        {
            int size = RpcFraming.GetFramedLength(rpc);
            lock (_lock)
            {
                if (_completed) return false;
                // An RPC always fits an empty queue, so a single large RPC can never be dropped for size alone.
                if (_queuedBytes > 0 && _queuedBytes + size > _owner._maxQueuedBytes) return false;
                if (!_queue.Writer.TryWrite((rpc, size))) return false;
                _queuedBytes += size;
                if (!_congested && _queuedBytes > _owner._maxQueuedBytes / 2)
                {
                    _congested = true;
                    _lastProgress = _owner._time.GetTimestamp();
                    _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    Interlocked.Increment(ref _owner._congested);
                }
            }

            return true;
        }

        /// <summary>True while the queue is above half its bound and the peer is not stalled; then <paramref name="drained"/> completes below a quarter.</summary>
        public bool TryGetCongestion(out Task drained, out TimeSpan remaining)
        {
            lock (_lock)
            {
                drained = Task.CompletedTask;
                remaining = TimeSpan.Zero;
                if (!_congested || _drained is null) return false;
                remaining = _owner._stallTimeout - _owner._time.GetElapsedTime(_lastProgress);
                if (remaining <= TimeSpan.Zero) return false;
                drained = _drained.Task;
                return true;
            }
        }

        public void Abort()
        {
            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the writer already ended
            }
        }

        /// <summary>Called by the writer task itself when it ends.</summary>
        public void Dispose() => _abort.Dispose();

        public void Complete()
        {
            lock (_lock)
            {
                _completed = true;
                EndCongestion();
            }

            _queue.Writer.TryComplete();
        }

        private void OnWritten(long bytes)
        {
            lock (_lock)
            {
                _queuedBytes -= bytes;
                _lastProgress = _owner._time.GetTimestamp();
                if (_queuedBytes <= _owner._maxQueuedBytes / 4) EndCongestion();
            }
        }

        private void EndCongestion()
        {
            if (!_congested) return;
            _congested = false;
            Interlocked.Decrement(ref _owner._congested);
            _drained?.TrySetResult();
            _drained = null;
        }

        private async Task RunAsync()
        {
            var writer = _output;
            try
            {
                while (await _queue.Reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
                {
                    // Batch what is queued into the pipe, then flush once (Orleans' outbound loop).
                    long batch = 0;
                    while (batch < MaxBatchBytes && _queue.Reader.TryRead(out var item))
                    {
                        int n = RpcFraming.WriteFrame(item.Rpc, writer.GetSpan(item.Size));
                        writer.Advance(n);
                        batch += item.Size;
                    }

                    var flush = await writer.FlushAsync(_abort.Token).ConfigureAwait(false);
                    OnWritten(batch);
                    if (flush.IsCompleted) break;
                }
            }
            catch (IOException)
            {
                // The stream died; the host's connection handling calls Detach.
            }
            catch (ObjectDisposedException)
            {
                // as above
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                // abandoned on dispose
            }
            finally
            {
                Complete();
                if (_ownsOutput) await writer.CompleteAsync().ConfigureAwait(false);
                Dispose();
            }
        }
    }
}

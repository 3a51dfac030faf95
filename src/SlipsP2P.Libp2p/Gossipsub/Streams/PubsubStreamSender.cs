// The seam between the router and the host's streams (brief §10.1): each side opens ONE outbound stream per peer for
// writing and only reads the peer's inbound stream; every RPC is lp-framed; the first RPC on a new outbound stream
// carries our subscriptions (the router queues it on AddPeer).
//
//   host: outbound stream negotiated ─▶ AttachOutbound(peer, protocol, stream, outbound, ip)  ─▶ router.AddPeer
//         inbound stream accepted   ─▶ RunInboundAsync(peer, stream)  (read loop: frames ─▶ router.HandleRpc)
//         connection closed         ─▶ Detach(peer)                   ─▶ router.RemovePeer
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
    private GossipsubRouter? _router;

    /// <summary>Creates the sender.</summary>
    /// <param name="maxRpcSize">Largest inbound frame accepted (the router's MaxRpcSize).</param>
    /// <param name="queueCapacity">RPCs queued per peer before sends fail (the router then counts the peer as slow).</param>
    public PubsubStreamSender(int maxRpcSize = RpcFraming.DefaultMaxRpcSize, int queueCapacity = 4096)
    {
        _maxRpcSize = maxRpcSize;
        _queueCapacity = queueCapacity;
    }

    /// <summary>Raised when a peer exchange candidate arrives (the host may dial it).</summary>
    public event Action<PeerId, byte[]?>? PeerExchange;

    /// <summary>Connects the sender to its router (once, before streams are attached).</summary>
    public void Bind(GossipsubRouter router) => _router = router ?? throw new ArgumentNullException(nameof(router));

    /// <summary>Our outbound pubsub stream to <paramref name="peer"/> is negotiated: start writing to it.</summary>
    public void AttachOutbound(PeerId peer, PubsubProtocol protocol, Stream stream, bool outboundConnection, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(stream);
        var router = _router ?? throw new InvalidOperationException("Bind the router first");
        var writer = new PeerWriter(stream, _queueCapacity);
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
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(stream);
        var router = _router ?? throw new InvalidOperationException("Bind the router first");
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
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

                    router.HandleRpc(peer, rpc);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty) throw new InvalidDataException($"pubsub stream from {peer}: ended inside a frame");
                    return;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public bool TrySend(PeerId peer, PubsubRpc rpc) => _writers.TryGetValue(peer, out var w) && w.TryQueue(rpc);

    /// <inheritdoc />
    public void OnPeerExchange(PeerId peer, byte[]? signedPeerRecord) => PeerExchange?.Invoke(peer, signedPeerRecord);

    /// <summary>Completes every writer and waits for them to drain.</summary>
    public async ValueTask DisposeAsync()
    {
        var all = _writers.Values.ToArray();
        _writers.Clear();
        foreach (var w in all) w.Complete();
        foreach (var w in all) await w.Completion.ConfigureAwait(false);
    }

    private sealed class PeerWriter
    {
        private readonly Channel<PubsubRpc> _queue;
        private readonly Stream _stream;

        public PeerWriter(Stream stream, int capacity)
        {
            _stream = stream;
            _queue = Channel.CreateBounded<PubsubRpc>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            Completion = Task.Run(RunAsync);
        }

        public Task Completion { get; }

        public bool TryQueue(PubsubRpc rpc) => _queue.Writer.TryWrite(rpc);

        public void Complete() => _queue.Writer.TryComplete();

        private async Task RunAsync()
        {
            var writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
            try
            {
                while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    // Batch everything queued into the pipe, then flush once (Orleans' outbound loop).
                    while (_queue.Reader.TryRead(out var rpc))
                    {
                        int size = RpcFraming.GetFramedLength(rpc);
                        int n = RpcFraming.WriteFrame(rpc, writer.GetSpan(size));
                        writer.Advance(n);
                    }

                    var flush = await writer.FlushAsync().ConfigureAwait(false);
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
            finally
            {
                _queue.Writer.TryComplete();
                await writer.CompleteAsync().ConfigureAwait(false);
            }
        }
    }
}

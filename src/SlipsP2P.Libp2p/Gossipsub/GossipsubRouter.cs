// Gossipsub v1.1 router (with v1.0/floodsub fallback and v1.2 IDONTWANT):
// https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md, -v1.1.md, -v1.2.md
//
//   read loops ──HandleRpc──▶ ┌──────────────┐ ──VerifyBatch──▶ verification workers (N cores: Ed25519 + validator)
//   AddPeer/RemovePeer ─────▶ │ router loop  │ ◀──VerifiedBatch─┘ (results applied in arrival order)
//   Publish/Subscribe ──────▶ │ (one task)   │ ──TrySend(peer, RPC)──▶ IPubsubPeerSender (one RPC per peer per batch)
//   heartbeat timer ────────▶ └──────────────┘
//
// All router state (peers, topics, mesh, fanout, backoff, caches, scores, promises) is owned by the loop task; the
// only cross-thread traffic is the event channel, the verification channel and the subscription queues.
//
// Bounds without deadlock: the two channels are unbounded in type but bounded by credits taken OUTSIDE the loop. A
// read loop takes one credit per received message (HandleRpcAsync, per peer) and a publisher one per publish; the
// loop gives them back when the message has been verified and routed. Only read loops and publishers ever wait, and
// nothing they wait for needs them: the loop never blocks (sends are TrySend, dropped and counted when a peer's queue
// is full) and the verification workers only post back to the loop.
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Router;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>
/// A gossipsub router. Feed it peers (<see cref="AddPeer"/>, <see cref="RemovePeer"/>) and their decoded RPCs
/// (<see cref="HandleRpc"/>); it sends through an <see cref="IPubsubPeerSender"/>. Call <see cref="Start"/> once.
/// </summary>
public sealed partial class GossipsubRouter : IAsyncDisposable
{
    private readonly Ed25519KeyPair _identity;
    private readonly IPubsubPeerSender _sender;
    private readonly GossipsubOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<RouterEvent> _events = Channel.CreateUnbounded<RouterEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<VerifyBatch> _verify = Channel.CreateUnbounded<VerifyBatch>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Dictionary<string, Func<ReceivedMessage, ValidationResult>> _validators = new(StringComparer.Ordinal);
    private readonly Lock _validatorsLock = new();
    private readonly ConcurrentDictionary<PeerId, InboundCredits> _credits = new();
    private readonly SeqnoGenerator _seqno;
    private readonly byte[] _fromBytes;
    private readonly byte[] _keyBytes;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private ITimer? _heartbeatTimer;
    private int _started;

    /// <summary>Creates a router for <paramref name="identity"/>.</summary>
    public GossipsubRouter(Ed25519KeyPair identity, IPubsubPeerSender sender, GossipsubOptions? options = null, TimeProvider? time = null, ILogger<GossipsubRouter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(sender);
        _identity = identity;
        _sender = sender;
        _options = options ?? new GossipsubOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _seqno = new SeqnoGenerator(_time);
        _fromBytes = identity.PeerId.ToByteArray();
        _keyBytes = identity.PublicKey.ToProtobuf();
        _publishCredits = _options.MaxPendingPublishes;
        LocalPeer = identity.PeerId;
        long now = _time.GetUtcNow().UtcTicks;
        _mcache = new MessageCache(_options.HistoryLength, _options.HistoryGossip);
        _seen = new SeenCache<MessageId>(_options.SeenTtl);
        _score = new PeerScore(_options.Score, now);
    }

    /// <summary>
    /// Raised on the router loop when a peer announces that it joined (true) or left (false) a topic. Handlers must
    /// return quickly and must not call back into the router synchronously.
    /// </summary>
    public event Action<PeerId, string, bool>? PeerSubscriptionChanged;

    /// <summary>This node's peer id.</summary>
    public PeerId LocalPeer { get; }

    /// <summary>The options in use.</summary>
    public GossipsubOptions Options => _options;

    /// <summary>Counters.</summary>
    public GossipsubCounters Counters { get; } = new();

    /// <summary>Starts the router loop, the verification workers and the heartbeat timer.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("the router is already started");
        _tasks.Add(Task.Run(RunLoopAsync));
        for (int i = 0; i < _options.VerificationWorkers; i++) _tasks.Add(Task.Run(RunVerifierAsync));
        _tasks.Add(Task.Run(RunPublishPumpAsync));
        _heartbeatTimer = _time.CreateTimer(static s => ((GossipsubRouter)s!).Post(HeartbeatEvent.Instance), this, _options.HeartbeatInitialDelay, _options.HeartbeatInterval);
    }

    /// <summary>A peer whose pubsub stream was negotiated with <paramref name="protocol"/>.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="protocol">The negotiated protocol.</param>
    /// <param name="outbound">True when we dialed the connection (counts toward D_out).</param>
    /// <param name="address">The peer's IP (for P6), when known.</param>
    public void AddPeer(PeerId peer, PubsubProtocol protocol, bool outbound, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(peer);
        Post(new PeerAddedEvent(peer, protocol, outbound, address));
    }

    /// <summary>The peer's pubsub streams are gone.</summary>
    public void RemovePeer(PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        // Let a read loop that still waits for credits run to its end (its stream is closing).
        if (_credits.TryRemove(peer, out var credits)) credits.Close();
        Post(new PeerRemovedEvent(peer));
    }

    /// <summary>
    /// An RPC decoded from <paramref name="peer"/>'s stream, without backpressure: never blocks. Read loops should
    /// prefer <see cref="HandleRpcAsync"/>, which bounds what one peer can queue.
    /// </summary>
    public void HandleRpc(PeerId peer, PubsubRpc rpc)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(rpc);
        Post(new RpcReceivedEvent(peer, rpc));
    }

    /// <summary>
    /// An RPC decoded from <paramref name="peer"/>'s stream, with backpressure: completes at once while the peer has
    /// fewer than <see cref="GossipsubOptions.MaxPendingMessagesPerPeer"/> messages waiting for verification and
    /// routing, otherwise when enough of them are done. Call it from the peer's read loop and await it before reading
    /// on, so that a fast sender is slowed by flow control instead of filling memory.
    /// </summary>
    public ValueTask HandleRpcAsync(PeerId peer, PubsubRpc rpc, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(rpc);
        if (rpc.Publish.Count == 0)
        {
            Post(new RpcReceivedEvent(peer, rpc));
            return ValueTask.CompletedTask;
        }

        var credits = _credits.GetOrAdd(peer, static (_, limit) => new InboundCredits(limit), _options.MaxPendingMessagesPerPeer);
        var acquire = credits.AcquireAsync(rpc.Publish.Count, cancellationToken, out bool waited);
        if (acquire.IsCompletedSuccessfully)
        {
            Post(new RpcReceivedEvent(peer, rpc, credits, acquire.Result));
            return ValueTask.CompletedTask;
        }

        if (waited) Interlocked.Increment(ref Counters._inboundWaits);
        return HandleRpcSlowAsync(this, peer, rpc, credits, acquire);
    }

    private static async ValueTask HandleRpcSlowAsync(GossipsubRouter self, PeerId peer, PubsubRpc rpc, InboundCredits credits, ValueTask<int> acquire)
    {
        int held = await acquire.ConfigureAwait(false);
        self.Post(new RpcReceivedEvent(peer, rpc, credits, held));
    }

    /// <summary>Subscribes to <paramref name="topic"/> (JOIN) and returns the delivery queue.</summary>
    public Subscription Subscribe(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var sub = new Subscription(topic, _options.SubscriptionQueueCapacity);
        Post(new JoinEvent(topic, sub));
        return sub;
    }

    /// <summary>Leaves <paramref name="topic"/> (LEAVE): PRUNEs the mesh and announces the unsubscribe.</summary>
    public void Unsubscribe(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        Post(new LeaveEvent(topic));
    }

    /// <summary>Sets the application validator of <paramref name="topic"/>; it runs on the verification workers.</summary>
    public void SetValidator(string topic, Func<ReceivedMessage, ValidationResult>? validator)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        lock (_validatorsLock)
        {
            if (validator is null) _validators.Remove(topic);
            else _validators[topic] = validator;
        }
    }

    /// <summary>Completes when the loop has processed everything posted so far and no message awaits verification.</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new BarrierEvent(tcs));
        return tcs.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Copies router state on the loop.</summary>
    public Task<GossipsubSnapshot> GetSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource<GossipsubSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new SnapshotEvent(tcs));
        return tcs.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops the timer, the loop and the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_heartbeatTimer is not null) await _heartbeatTimer.DisposeAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
        _verify.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // shutdown
        }

        FailQueuedPublishes();
        _stop.Dispose();
        _pumpSignal.Dispose();
    }

    private void RaisePeerSubscription(PeerId peer, string topic, bool subscribed)
    {
        var handler = PeerSubscriptionChanged;
        if (handler is null) return;
        try
        {
            handler(peer, topic, subscribed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.EventFailed(_logger, nameof(PeerSubscriptionChanged), ex);
        }
    }

    private void Post(RouterEvent e)
    {
        if (_events.Writer.TryWrite(e)) return;
        if (e is PublishEvent p)
        {
            ReleasePublishCredits();
            p.Completion.TrySetException(new ObjectDisposedException(nameof(GossipsubRouter)));
        }
        else if (e is RpcReceivedEvent r)
        {
            r.Credits?.Release(r.Held);
        }
    }

    private async Task RunLoopAsync()
    {
        var reader = _events.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                // Drain a batch, then flush one RPC per peer: control and forwarded messages piggyback together.
                int n = 0;
                while (n < 1024 && reader.TryRead(out var e))
                {
                    n++;
                    try
                    {
                        Process(e);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.EventFailed(_logger, e.GetType().Name, ex);
                    }
                }

                Interlocked.Add(ref Counters._eventsProcessed, n);
                SubmitVerification();
                FlushOutgoing();
                if (_routedPublishes > 0)
                {
                    ReleasePublishCredits(_routedPublishes);
                    _routedPublishes = 0;
                }

                CompleteBarriers();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // disposed
        }
        finally
        {
            foreach (var sub in _subscriptions.Values) sub.Complete();
            foreach (var b in _barriers) b.TrySetCanceled();
        }
    }

    private async Task RunVerifierAsync()
    {
        var reader = _verify.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                // A batch is queued once per verifier that may help with it; whoever reads it claims jobs until none
                // are left, so a stale copy costs one failed claim.
                while (reader.TryRead(out var batch))
                {
                    while (batch.TryClaim(out int i))
                    {
                        VerifyOne(batch, i);
                        if (batch.Finish()) Post(new VerifiedBatchEvent(batch));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // disposed
        }
    }

    private void VerifyOne(VerifyBatch batch, int index)
    {
        var job = batch.Jobs[index];
        var result = ValidationResult.Ignore;
        PeerId? author = null;
        try
        {
            var status = PubsubSigning.Verify(job.Message, out author);
            result = ValidationResult.Accept;
            if (status != SignatureStatus.Valid)
            {
                Log.InvalidSignature(_logger, job.Source, job.Topic, status);
                result = ValidationResult.Reject;
            }
            else
            {
                Func<ReceivedMessage, ValidationResult>? validator;
                lock (_validatorsLock) _validators.TryGetValue(job.Topic, out validator);
                if (validator is not null)
                {
                    try
                    {
                        result = validator(new ReceivedMessage(job.Id, job.Topic, author!, job.Source, job.Message));
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.ValidatorFailed(_logger, job.Topic, ex);
                        result = ValidationResult.Ignore;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever happens, the job must finish, or its batch (and every later one) would never be applied.
            Log.EventFailed(_logger, nameof(VerifyOne), ex);
            result = ValidationResult.Ignore;
        }

        batch.Results[index] = result;
        batch.Authors[index] = author;
    }
}

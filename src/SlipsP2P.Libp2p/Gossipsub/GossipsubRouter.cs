// Gossipsub v1.1 router (with v1.0/floodsub fallback and v1.2 IDONTWANT):
// https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md, -v1.1.md, -v1.2.md
//
//   read loops ──HandleRpc──▶ ┌──────────────┐ ──VerifyJob──▶ verification workers (N cores: Ed25519 + validator)
//   AddPeer/RemovePeer ─────▶ │ router loop  │ ◀──Verified──┘
//   Publish/Subscribe ──────▶ │ (one task)   │ ──TrySend(peer, RPC)──▶ IPubsubPeerSender (one RPC per peer per batch)
//   heartbeat timer ────────▶ └──────────────┘
//
// All router state (peers, topics, mesh, fanout, backoff, caches, scores, promises) is owned by the loop task; the
// only cross-thread traffic is the event channel, the verification channel and the subscription queues.
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
    private readonly Channel<VerifyJob> _verify = Channel.CreateUnbounded<VerifyJob>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Dictionary<string, Func<ReceivedMessage, ValidationResult>> _validators = new(StringComparer.Ordinal);
    private readonly Lock _validatorsLock = new();
    private readonly SeqnoGenerator _seqno;
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
        Post(new PeerRemovedEvent(peer));
    }

    /// <summary>An RPC decoded from <paramref name="peer"/>'s stream. Never blocks; verification happens off this thread.</summary>
    public void HandleRpc(PeerId peer, PubsubRpc rpc)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(rpc);
        Post(new RpcReceivedEvent(peer, rpc));
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

    /// <summary>Signs and publishes <paramref name="data"/> on <paramref name="topic"/>.</summary>
    public Task<PublishResult> PublishAsync(string topic, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        cancellationToken.ThrowIfCancellationRequested();
        // Signing runs on the caller's thread, keeping the loop free (Ed25519 sign is tens of microseconds).
        var message = PubsubSigning.CreateSigned(_identity, topic, data.Span, _seqno.Next());
        var id = _options.MessageIdFunction(message);
        var tcs = new TaskCompletionSource<PublishResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new PublishEvent(id, message, tcs));
        return tcs.Task.WaitAsync(cancellationToken);
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

        _stop.Dispose();
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
        if (!_events.Writer.TryWrite(e) && e is PublishEvent p)
        {
            p.Completion.TrySetException(new ObjectDisposedException(nameof(GossipsubRouter)));
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
                FlushOutgoing();
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
                while (reader.TryRead(out var job))
                {
                    var status = PubsubSigning.Verify(job.Message, out var author);
                    var result = ValidationResult.Accept;
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

                    Post(new VerifiedEvent(job, result, author));
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // disposed
        }
    }
}

// Router state and event handling (runs only on the router loop). Section references are to gossipsub v1.0/v1.1.
using System.Net;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Router;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub;

public sealed partial class GossipsubRouter
{
    // Delivery records outlive verification only long enough for the P3 "near-first" window.
    private static readonly TimeSpan s_deliveryRecordTtl = TimeSpan.FromSeconds(2);

    // Verification batches: large enough that handing one over costs little per message, small enough that the
    // first messages of a burst are delivered after a few milliseconds of verification, not after all of it.
    private const int MaxVerifyBatch = 128;
    private const int MinJobsPerVerifier = 8;

    // Messages for one peer are coalesced into RPCs of at most this size (well under the 1 MiB MaxRpcSize): a
    // receiver must hold a whole RPC before it can verify any of it, and an RPC larger than the yamux window
    // (256 KiB) can only arrive through a reader that buffers beyond the window.
    private int MaxCoalescedRpcSize => Math.Min(_options.MaxRpcSize - 64, 64 * 1024);

    private readonly Dictionary<PeerId, PeerState> _peers = [];
    private readonly Dictionary<string, HashSet<PeerId>> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<PeerId>> _mesh = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<PeerId>> _fanout = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _fanoutLastPublish = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<PeerId, long>> _backoff = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<MessageId, VerifyJob> _pending = [];
    private readonly List<VerifyJob> _toVerify = [];
    private readonly Queue<VerifyBatch> _verifying = new();
    private readonly Dictionary<MessageId, DeliveryRecord> _deliveries = [];
    private readonly ExpiryQueue<MessageId> _deliveryExpiry = new();
    private readonly Dictionary<MessageId, Dictionary<PeerId, long>> _promises = [];
    private readonly Dictionary<PeerId, Outgoing> _outgoing = [];
    private readonly List<TaskCompletionSource> _barriers = [];
    private readonly HashSet<PeerId> _publishTargets = [];
    private readonly List<MessageId> _gossipIds = [];
    private readonly MessageCache _mcache;
    private readonly SeenCache<MessageId> _seen;
    private readonly PeerScore _score;
    private long _heartbeats;
    private int _routedPublishes;

    private long Now => _time.GetUtcNow().UtcTicks;

    private void Process(RouterEvent e)
    {
        switch (e)
        {
            case RpcReceivedEvent r: OnRpc(r); break;
            case VerifiedBatchEvent v: OnVerifiedBatch(v.Batch); break;
            case PublishEvent p: OnPublish(p); break;
            case PeerAddedEvent a: OnPeerAdded(a.Peer, a.Protocol, a.Outbound, a.Address); break;
            case PeerRemovedEvent r: OnPeerRemoved(r.Peer); break;
            case JoinEvent j: OnJoin(j.Topic, j.Subscription); break;
            case LeaveEvent l: OnLeave(l.Topic); break;
            case HeartbeatEvent: OnHeartbeat(); break;
            case BarrierEvent b: _barriers.Add(b.Completion); break;
            case SnapshotEvent s: s.Completion.TrySetResult(TakeSnapshot()); break;
            default: break;
        }
    }

    private void CompleteBarriers()
    {
        if (_barriers.Count == 0 || _pending.Count != 0) return;
        foreach (var b in _barriers) b.TrySetResult();
        _barriers.Clear();
    }

    // ---- peers ----

    private void OnPeerAdded(PeerId peer, PubsubProtocol protocol, bool outbound, IPAddress? address)
    {
        if (protocol == PubsubProtocol.Floodsub && !_options.FallbackToFloodsub) return;
        if (protocol == PubsubProtocol.Meshsub12 && !_options.EnableV12) protocol = PubsubProtocol.Meshsub11;
        if (_peers.TryGetValue(peer, out var existing))
        {
            existing.Protocol = protocol;
            existing.Outbound |= outbound;
            return;
        }

        _peers[peer] = new PeerState(protocol, outbound, _options.IWantFollowupTime * 3);
        _score.AddPeer(peer, address);
        Log.PeerAdded(_logger, peer, protocol);

        // pubsub README: on a new stream, announce every current subscription first ("hello").
        if (_subscriptions.Count > 0)
        {
            var o = GetOutgoing(peer);
            foreach (var topic in _subscriptions.Keys) o.Rpc.Subscriptions.Add(new SubOpts { Subscribe = true, Topic = topic });
        }
    }

    private void OnPeerRemoved(PeerId peer)
    {
        if (!_peers.Remove(peer)) return;
        foreach (var set in _topics.Values) set.Remove(peer);
        foreach (var set in _mesh.Values) set.Remove(peer);
        foreach (var set in _fanout.Values) set.Remove(peer);
        _outgoing.Remove(peer);
        _score.RemovePeer(peer, Now);
        Log.PeerRemoved(_logger, peer);
    }

    // ---- local subscribe / unsubscribe (v1.0 §Router State, JOIN/LEAVE) ----

    private void OnJoin(string topic, Subscription subscription)
    {
        if (_subscriptions.TryGetValue(topic, out var old)) old.Complete();
        _subscriptions[topic] = subscription;
        if (_mesh.ContainsKey(topic)) return;

        var mesh = new HashSet<PeerId>();
        _mesh[topic] = mesh;
        if (_fanout.Remove(topic, out var fanout))
        {
            foreach (var p in fanout)
            {
                if (_peers.ContainsKey(p) && _score.Score(p) >= 0 && !InBackoff(topic, p)) mesh.Add(p);
            }

            _fanoutLastPublish.Remove(topic);
        }

        if (mesh.Count < _options.D)
        {
            foreach (var p in Candidates(topic, mesh, _options.D - mesh.Count, static (r, p) => r._score.Score(p) >= 0)) mesh.Add(p);
        }

        foreach (var p in mesh) Graft(p, topic);
        foreach (var p in _peers.Keys) GetOutgoing(p).Rpc.Subscriptions.Add(new SubOpts { Subscribe = true, Topic = topic });
    }

    private void OnLeave(string topic)
    {
        if (_subscriptions.Remove(topic, out var sub)) sub.Complete();
        if (_mesh.Remove(topic, out var mesh))
        {
            foreach (var p in mesh)
            {
                _score.Prune(p, topic);
                SendPrune(p, topic, peerExchange: false, _options.UnsubscribeBackoff);
                AddBackoff(topic, p, _options.UnsubscribeBackoff);
            }
        }

        foreach (var p in _peers.Keys) GetOutgoing(p).Rpc.Subscriptions.Add(new SubOpts { Subscribe = false, Topic = topic });
    }

    // ---- receiving ----

    private void OnRpc(RpcReceivedEvent e)
    {
        // Every credit the read loop took comes back here, except one per message handed to verification
        // (given back by OnVerified), even when handling the RPC throws.
        int held = e.Held;
        try
        {
            OnRpc(e.Peer, e.Rpc, e.Credits, ref held);
        }
        finally
        {
            e.Credits?.Release(held);
        }
    }

    private void OnRpc(PeerId from, PubsubRpc rpc, InboundCredits? credits, ref int held)
    {
        if (!_peers.TryGetValue(from, out var state)) return;
        // v1.1 §Score Thresholds: below the graylist threshold every RPC of the peer is ignored.
        if (_score.Score(from) < _options.Thresholds.GraylistThreshold)
        {
            Interlocked.Increment(ref Counters._graylistedRpcs);
            return;
        }

        foreach (var sub in rpc.Subscriptions)
        {
            if (string.IsNullOrEmpty(sub.Topic) || sub.Subscribe is null) continue;
            OnPeerSubscription(from, sub.Topic, sub.Subscribe.Value);
        }

        foreach (var message in rpc.Publish)
        {
            var job = OnMessage(from, message);
            if (job is not null && held > 0)
            {
                job.Credits = credits;
                held--;
            }
        }

        if (rpc.Control is { } control && state.Protocol.IsGossipsub())
        {
            // Order as go/js: IDONTWANT first (so nothing is forwarded needlessly), then IHAVE, IWANT, GRAFT, PRUNE.
            foreach (var idw in control.IDontWant) OnIDontWant(from, state, idw);
            foreach (var ihave in control.IHave) OnIHave(from, state, ihave);
            foreach (var iwant in control.IWant) OnIWant(from, iwant);
            foreach (var graft in control.Graft) OnGraft(from, state, graft);
            foreach (var prune in control.Prune) OnPrune(from, prune);
        }
    }

    private void OnPeerSubscription(PeerId peer, string topic, bool subscribe)
    {
        if (subscribe)
        {
            if (!_topics.TryGetValue(topic, out var set))
            {
                set = [];
                _topics[topic] = set;
            }

            if (set.Add(peer)) RaisePeerSubscription(peer, topic, subscribed: true);
            return;
        }

        if (_topics.TryGetValue(topic, out var peers))
        {
            if (peers.Remove(peer)) RaisePeerSubscription(peer, topic, subscribed: false);
            if (peers.Count == 0) _topics.Remove(topic);
        }

        if (_mesh.TryGetValue(topic, out var mesh) && mesh.Remove(peer)) _score.Prune(peer, topic);
        if (_fanout.TryGetValue(topic, out var fanout)) fanout.Remove(peer);
    }

    /// <summary>Handles one received message; returns the verification job when it was queued for verification.</summary>
    private VerifyJob? OnMessage(PeerId from, PubsubMessage message)
    {
        if (string.IsNullOrEmpty(message.Topic))
        {
            Interlocked.Increment(ref Counters._ignored);
            return null;
        }

        var id = _options.MessageIdFunction(message);
        _promises.Remove(id);
        if (_seen.Contains(id))
        {
            Interlocked.Increment(ref Counters._duplicates);
            if (_deliveries.TryGetValue(id, out var record)) OnDuplicateOfRecord(from, message.Topic, record);
            return null;
        }

        if (_pending.TryGetValue(id, out var job))
        {
            Interlocked.Increment(ref Counters._duplicates);
            (job.AlsoFrom ??= []).Add(from);
            return null;
        }

        job = new VerifyJob(id, message, from, message.Topic);
        _pending[id] = job;
        _toVerify.Add(job);
        return job;
    }

    /// <summary>Hands the messages taken in since the last call to the verifiers, in batches (end of each loop round).</summary>
    private void SubmitVerification()
    {
        int count = _toVerify.Count;
        for (int start = 0; start < count; start += MaxVerifyBatch)
        {
            var jobs = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_toVerify).Slice(start, Math.Min(MaxVerifyBatch, count - start)).ToArray();
            var batch = new VerifyBatch(jobs);
            _verifying.Enqueue(batch);
            // One copy per verifier that can help (small batches need fewer).
            int copies = Math.Min(_options.VerificationWorkers, (jobs.Length + MinJobsPerVerifier - 1) / MinJobsPerVerifier);
            for (int i = 0; i < copies; i++) _verify.Writer.TryWrite(batch);
        }

        _toVerify.Clear();
    }

    /// <summary>Applies the results of every verified batch at the head of the queue, in submission order.</summary>
    private void OnVerifiedBatch(VerifyBatch batch)
    {
        batch.Completed = true;
        while (_verifying.TryPeek(out var head) && head.Completed)
        {
            _verifying.Dequeue();
            for (int i = 0; i < head.Jobs.Length; i++)
            {
                // One failing message must not keep the rest of its batch (and their read loops' credits) waiting.
                try
                {
                    OnVerified(head.Jobs[i], head.Results[i], head.Authors[i]);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.EventFailed(_logger, nameof(OnVerified), ex);
                }
            }
        }
    }

    private void OnDuplicateOfRecord(PeerId from, string topic, DeliveryRecord record)
    {
        if (record.Result == ValidationResult.Reject)
        {
            // v1.1 P4: every peer that forwards an invalid message is penalised.
            _score.RejectedMessage(from, topic);
        }
        else if (record.Result == ValidationResult.Accept && Now - record.ValidatedTicks <= _score.DeliveryWindow(topic).Ticks)
        {
            _score.DuplicateInWindow(from, topic);
        }
    }

    private void OnVerified(VerifyJob job, ValidationResult result, PeerId? author)
    {
        job.Credits?.Release(1);
        job.Credits = null;
        _pending.Remove(job.Id);
        long now = Now;
        _seen.Add(job.Id, now);
        _deliveries[job.Id] = new DeliveryRecord(result, now);
        _deliveryExpiry.Enqueue(job.Id, now + s_deliveryRecordTtl.Ticks);

        if (result == ValidationResult.Reject)
        {
            Interlocked.Increment(ref Counters._invalid);
            if (_peers.ContainsKey(job.Source)) _score.RejectedMessage(job.Source, job.Topic);
            if (job.AlsoFrom is not null)
            {
                foreach (var p in job.AlsoFrom) _score.RejectedMessage(p, job.Topic);
            }

            return;
        }

        if (result == ValidationResult.Ignore || author is null || author == LocalPeer)
        {
            Interlocked.Increment(ref Counters._ignored);
            return;
        }

        _score.ValidatedMessage(job.Source, job.Topic, job.AlsoFrom ?? (IEnumerable<PeerId>)[]);
        _mcache.Put(job.Id, job.Message);
        if (_subscriptions.TryGetValue(job.Topic, out var sub))
        {
            sub.Deliver(new ReceivedMessage(job.Id, job.Topic, author, job.Source, job.Message));
            Interlocked.Increment(ref Counters._delivered);
        }

        Forward(job, author);
    }

    private void Forward(VerifyJob job, PeerId author)
    {
        var message = job.Message;
        bool sendDontWant = _options.EnableV12 && (message.Data?.Length ?? 0) >= _options.IDontWantMinDataSize;
        if (_mesh.TryGetValue(job.Topic, out var mesh))
        {
            foreach (var p in mesh)
            {
                if (sendDontWant && _peers.TryGetValue(p, out var ps) && ps.Protocol == PubsubProtocol.Meshsub12 && p != job.Source)
                {
                    var idw = new ControlIDontWant();
                    idw.MessageIds.Add(job.Id.Bytes);
                    GetOutgoing(p).Control.IDontWant.Add(idw);
                }

                ForwardTo(p, job, author);
            }
        }

        // js always forwards to floodsub peers in the topic (fallbackToFloodsub).
        if (_topics.TryGetValue(job.Topic, out var subscribers))
        {
            foreach (var p in subscribers)
            {
                if (_peers.TryGetValue(p, out var ps) && ps.Protocol == PubsubProtocol.Floodsub) ForwardTo(p, job, author);
            }
        }
    }

    private void ForwardTo(PeerId peer, VerifyJob job, PeerId author)
    {
        if (peer == job.Source || peer == author) return;
        if (job.AlsoFrom is not null && job.AlsoFrom.Contains(peer)) return;
        if (!_peers.TryGetValue(peer, out var ps) || ps.DontWant.Contains(job.Id)) return;
        SendMessage(peer, job.Message);
    }

    private void SendMessage(PeerId peer, PubsubMessage message)
    {
        var o = GetOutgoing(peer);
        int size = SpanProto.BytesFieldSize(2, message.GetSerializedLength());
        if (o.Size + size > MaxCoalescedRpcSize && o.Rpc.Publish.Count > 0) FlushPeer(peer, o);
        o.Rpc.Publish.Add(message);
        o.Size += size;
        Interlocked.Increment(ref Counters._forwarded);
    }

    // ---- publish (v1.1 §Flood Publishing) ----

    private void OnPublish(PublishEvent p)
    {
        // The credit comes back after this batch's RPCs are handed to the sender (RunLoopAsync), so the publishes
        // let through while a queue was below its high-water mark add at most MaxPendingPublishes messages to it.
        _routedPublishes++;
        long now = Now;
        string topic = p.Message.Topic!;
        if (!_seen.Add(p.Id, now))
        {
            p.Completion.TrySetException(new InvalidOperationException($"message {p.Id} was already published or seen"));
            return;
        }

        _mcache.Put(p.Id, p.Message);
        var targets = _publishTargets;
        targets.Clear();
        if (_topics.TryGetValue(topic, out var subscribers))
        {
            foreach (var peer in subscribers)
            {
                if (!_peers.TryGetValue(peer, out var ps)) continue;
                if (ps.Protocol == PubsubProtocol.Floodsub) targets.Add(peer);
                else if (_options.FloodPublish && _score.Score(peer) >= _options.Thresholds.PublishThreshold) targets.Add(peer);
            }
        }

        if (!_options.FloodPublish)
        {
            if (_mesh.TryGetValue(topic, out var mesh))
            {
                targets.UnionWith(mesh);
            }
            else
            {
                if (!_fanout.TryGetValue(topic, out var fanout) || fanout.Count == 0)
                {
                    fanout = [.. Candidates(topic, [], _options.D, static (r, p) => r._score.Score(p) >= r._options.Thresholds.PublishThreshold)];
                    _fanout[topic] = fanout;
                }

                _fanoutLastPublish[topic] = now;
                targets.UnionWith(fanout);
            }
        }

        foreach (var peer in targets) SendMessage(peer, p.Message);
        Interlocked.Increment(ref Counters._published);
        p.Completion.TrySetResult(new PublishResult(p.Id, targets.Count));
    }

    // ---- control (v1.0 §Control Messages, v1.1 §Explicit Peering/§PRUNE Backoff, v1.2 §IDONTWANT) ----

    private void OnIHave(PeerId from, PeerState state, ControlIHave ihave)
    {
        if (_score.Score(from) < _options.Thresholds.GossipThreshold) return;
        // v1.1 §Spam Protection: bound IHAVE messages and asked ids per peer per heartbeat.
        if (++state.IHavesThisHeartbeat > _options.MaxIHaveMessages) return;
        if (state.AskedThisHeartbeat >= _options.MaxIHaveLength) return;
        if (ihave.TopicId is null || !_mesh.ContainsKey(ihave.TopicId)) return;

        var wanted = new List<byte[]>();
        foreach (var raw in ihave.MessageIds)
        {
            if (state.AskedThisHeartbeat + wanted.Count >= _options.MaxIHaveLength) break;
            var id = new MessageId(raw);
            if (_seen.Contains(id) || _pending.ContainsKey(id)) continue;
            wanted.Add(raw);
        }

        if (wanted.Count == 0) return;
        state.AskedThisHeartbeat += wanted.Count;
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(wanted));
        var iwant = new ControlIWant();
        iwant.MessageIds.AddRange(wanted);
        GetOutgoing(from).Control.IWant.Add(iwant);

        // v1.1 §Spam Protection: track one random id as a promise; a broken promise costs P7.
        var promised = new MessageId(wanted[0]);
        if (!_promises.TryGetValue(promised, out var byPeer))
        {
            byPeer = [];
            _promises[promised] = byPeer;
        }

        byPeer.TryAdd(from, Now + _options.IWantFollowupTime.Ticks);
    }

    private void OnIWant(PeerId from, ControlIWant iwant)
    {
        if (_score.Score(from) < _options.Thresholds.GossipThreshold) return;
        foreach (var raw in iwant.MessageIds)
        {
            var message = _mcache.GetForPeer(new MessageId(raw), from, _options.GossipRetransmission);
            if (message is null) continue;
            SendMessage(from, message);
            Interlocked.Increment(ref Counters._iwantServed);
        }
    }

    private void OnIDontWant(PeerId from, PeerState state, ControlIDontWant idw)
    {
        long now = Now;
        foreach (var raw in idw.MessageIds)
        {
            if (++state.IDontWantsThisHeartbeat > _options.MaxIDontWantMessages) return;
            state.DontWant.Add(new MessageId(raw), now);
        }
    }

    private void OnGraft(PeerId from, PeerState state, ControlGraft graft)
    {
        string? topic = graft.TopicId;
        // v1.1: a GRAFT for a topic we are not in is ignored (no PRUNE, which would leak subscription state).
        if (topic is null || !_mesh.TryGetValue(topic, out var mesh) || mesh.Contains(from)) return;
        long now = Now;
        if (_backoff.TryGetValue(topic, out var backoffs) && backoffs.TryGetValue(from, out long until) && until > now)
        {
            // v1.1 §PRUNE Backoff: grafting during backoff is penalised, twice when within the flood threshold.
            _score.AddPenalty(from, 1);
            long pruneTime = until - _options.PruneBackoff.Ticks;
            if (now < pruneTime + _options.GraftFloodThreshold.Ticks) _score.AddPenalty(from, 1);
            AddBackoff(topic, from, _options.PruneBackoff);
            SendPrune(from, topic, peerExchange: false, _options.PruneBackoff);
            return;
        }

        if (_score.Score(from) < 0)
        {
            AddBackoff(topic, from, _options.PruneBackoff);
            SendPrune(from, topic, peerExchange: false, _options.PruneBackoff);
            return;
        }

        if (mesh.Count >= _options.DHigh && !state.Outbound)
        {
            AddBackoff(topic, from, _options.PruneBackoff);
            SendPrune(from, topic, peerExchange: true, _options.PruneBackoff);
            return;
        }

        mesh.Add(from);
        _score.Graft(from, topic, now);
        Log.Grafted(_logger, from, topic);
    }

    private void OnPrune(PeerId from, ControlPrune prune)
    {
        string? topic = prune.TopicId;
        if (topic is null) return;
        if (_mesh.TryGetValue(topic, out var mesh) && mesh.Remove(from)) _score.Prune(from, topic);
        // A backoff in seconds from the wire is bounded so that a hostile value cannot overflow ticks.
        var backoff = prune.Backoff is ulong secs and > 0 ? TimeSpan.FromSeconds(Math.Min(secs, 86_400UL)) : _options.PruneBackoff;
        AddBackoff(topic, from, backoff);
        if (prune.Peers.Count > 0 && _score.Score(from) >= _options.Thresholds.AcceptPXThreshold)
        {
            int n = 0;
            foreach (var info in prune.Peers)
            {
                if (n++ >= _options.PrunePeers) break;
                if (info.PeerId is null || !PeerId.TryFromBytes(info.PeerId, out var px) || px is null) continue;
                if (px == LocalPeer || _peers.ContainsKey(px)) continue;
                _sender.OnPeerExchange(px, info.SignedPeerRecord);
            }
        }
    }

    // ---- helpers ----

    private void Graft(PeerId peer, string topic)
    {
        _score.Graft(peer, topic, Now);
        GetOutgoing(peer).Control.Graft.Add(new ControlGraft { TopicId = topic });
    }

    private void SendPrune(PeerId peer, string topic, bool peerExchange, TimeSpan backoff)
    {
        if (!_peers.TryGetValue(peer, out var state) || !state.Protocol.IsGossipsub()) return;
        var prune = new ControlPrune { TopicId = topic };
        if (state.Protocol != PubsubProtocol.Meshsub10)
        {
            prune.Backoff = (ulong)backoff.TotalSeconds;
            if (peerExchange && _topics.TryGetValue(topic, out var subscribers))
            {
                foreach (var p in subscribers)
                {
                    if (prune.Peers.Count >= _options.PrunePeers) break;
                    if (p == peer || _score.Score(p) < 0) continue;
                    prune.Peers.Add(new PeerInfo { PeerId = p.ToByteArray(), SignedPeerRecord = _sender.SignedPeerRecordOf(p) });
                }
            }
        }

        GetOutgoing(peer).Control.Prune.Add(prune);
    }

    private void AddBackoff(string topic, PeerId peer, TimeSpan backoff)
    {
        if (!_backoff.TryGetValue(topic, out var map))
        {
            map = [];
            _backoff[topic] = map;
        }

        long until = Now + backoff.Ticks;
        if (!map.TryGetValue(peer, out long existing) || existing < until) map[peer] = until;
    }

    private bool InBackoff(string topic, PeerId peer) =>
        _backoff.TryGetValue(topic, out var map) && map.TryGetValue(peer, out long until) && until > Now;

    /// <summary>Up to <paramref name="count"/> random gossipsub subscribers of <paramref name="topic"/> not in <paramref name="exclude"/>, not in backoff, passing <paramref name="filter"/>.</summary>
    private List<PeerId> Candidates(string topic, HashSet<PeerId> exclude, int count, Func<GossipsubRouter, PeerId, bool> filter)
    {
        var result = new List<PeerId>();
        if (count <= 0 || !_topics.TryGetValue(topic, out var subscribers)) return result;
        foreach (var p in subscribers)
        {
            if (exclude.Contains(p) || !_peers.TryGetValue(p, out var ps) || !ps.Protocol.IsGossipsub()) continue;
            if (InBackoff(topic, p) || !filter(this, p)) continue;
            result.Add(p);
        }

        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(result));
        if (result.Count > count) result.RemoveRange(count, result.Count - count);
        return result;
    }

    private Outgoing GetOutgoing(PeerId peer)
    {
        if (!_outgoing.TryGetValue(peer, out var o))
        {
            o = new Outgoing();
            _outgoing[peer] = o;
        }

        return o;
    }

    private void FlushOutgoing()
    {
        if (_outgoing.Count == 0) return;
        foreach (var (peer, o) in _outgoing) FlushPeer(peer, o);
        _outgoing.Clear();
    }

    private void FlushPeer(PeerId peer, Outgoing o)
    {
        var rpc = o.Rpc;
        if (o.ControlOrNull is { } control && !control.IsEmpty && _peers.TryGetValue(peer, out var ps) && ps.Protocol.IsGossipsub())
        {
            rpc.Control = control;
        }

        if (!rpc.IsEmpty && _peers.ContainsKey(peer) && !_sender.TrySend(peer, rpc))
        {
            Interlocked.Increment(ref Counters._sendDroppedRpcs);
            Interlocked.Add(ref Counters._sendDroppedMessages, rpc.Publish.Count);
            Log.SendFailed(_logger, peer);
        }
        o.Reset();
    }

    private GossipsubSnapshot TakeSnapshot()
    {
        var s = new GossipsubSnapshot
        {
            SeenCount = _seen.Count,
            MessageCacheCount = _mcache.Count,
            PendingVerification = _pending.Count,
        };
        foreach (var (t, set) in _mesh) s.Mesh[t] = [.. set];
        foreach (var (t, set) in _fanout) s.Fanout[t] = [.. set];
        foreach (var (t, set) in _topics) s.TopicPeers[t] = [.. set];
        foreach (var p in _peers.Keys)
        {
            s.Scores[p] = _score.Score(p);
            s.BehaviourPenalties[p] = _score.BehaviourPenalty(p);
        }

        foreach (var (t, map) in _backoff)
        {
            var copy = new Dictionary<PeerId, DateTimeOffset>();
            foreach (var (p, until) in map) copy[p] = new DateTimeOffset(until, TimeSpan.Zero);
            s.Backoff[t] = copy;
        }

        return s;
    }

    private sealed class PeerState(PubsubProtocol protocol, bool outbound, TimeSpan dontWantTtl)
    {
        public PubsubProtocol Protocol { get; set; } = protocol;

        public bool Outbound { get; set; } = outbound;

        public int IHavesThisHeartbeat { get; set; }

        public int AskedThisHeartbeat { get; set; }

        public int IDontWantsThisHeartbeat { get; set; }

        public SeenCache<MessageId> DontWant { get; } = new(dontWantTtl);
    }

    private sealed class Outgoing
    {
        public PubsubRpc Rpc { get; private set; } = new();

        public ControlMessage? ControlOrNull { get; private set; }

        public ControlMessage Control => ControlOrNull ??= new ControlMessage();

        public int Size { get; set; }

        public void Reset()
        {
            Rpc = new PubsubRpc();
            ControlOrNull = null;
            Size = 0;
        }
    }

    private readonly record struct DeliveryRecord(ValidationResult Result, long ValidatedTicks);
}

// Heartbeat: gossipsub v1.0 §Heartbeat and v1.1 §Heartbeat Maintenance (mesh, fanout, gossip emission, caches).
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub;

public sealed partial class GossipsubRouter
{
    private void OnHeartbeat()
    {
        long now = Now;
        _heartbeats++;
        foreach (var ps in _peers.Values)
        {
            ps.IHavesThisHeartbeat = 0;
            ps.AskedThisHeartbeat = 0;
            ps.IDontWantsThisHeartbeat = 0;
            ps.DontWant.Prune(now);
        }

        // Decay first, so a penalty applied in this heartbeat is seen at full weight until the next decay.
        _score.Refresh(now);
        ApplyBrokenPromises(now);

        foreach (var (topic, mesh) in _mesh) MaintainMesh(topic, mesh);
        MaintainFanout(now);
        EmitGossip();

        ExpireBackoffs(now);
        _seen.Prune(now);
        while (_deliveryExpiry.TryPeek(out var head) && head.Expires <= now)
        {
            _deliveryExpiry.Dequeue();
            _deliveries.Remove(head.Key);
        }

        _mcache.Shift();
    }

    private void MaintainMesh(string topic, HashSet<PeerId> mesh)
    {
        // Peers with a negative score leave the mesh (no PX for them).
        List<PeerId>? negative = null;
        foreach (var p in mesh)
        {
            if (_score.Score(p) < 0) (negative ??= []).Add(p);
        }

        if (negative is not null)
        {
            foreach (var p in negative) PruneFromMesh(topic, mesh, p, peerExchange: false);
        }

        if (mesh.Count < _options.DLow)
        {
            foreach (var p in Candidates(topic, mesh, _options.D - mesh.Count, static (r, p) => r._score.Score(p) >= 0))
            {
                mesh.Add(p);
                Graft(p, topic);
            }
        }

        if (mesh.Count > _options.DHigh)
        {
            // Keep the best D_score by score, fill up to D at random, then make sure D_out of them are outbound.
            var byScore = new List<PeerId>(mesh);
            Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(byScore));
            byScore.Sort((a, b) => _score.Score(b).CompareTo(_score.Score(a)));
            var keep = new List<PeerId>(byScore.GetRange(0, _options.DScore));
            var rest = byScore.GetRange(_options.DScore, byScore.Count - _options.DScore);
            Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rest));
            int outbound = 0;
            foreach (var p in keep)
            {
                if (IsOutbound(p)) outbound++;
            }

            for (int i = 0; i < rest.Count && outbound < _options.DOut && keep.Count < _options.D; i++)
            {
                if (!IsOutbound(rest[i])) continue;
                keep.Add(rest[i]);
                rest.RemoveAt(i--);
                outbound++;
            }

            for (int i = 0; i < rest.Count && keep.Count < _options.D; i++)
            {
                keep.Add(rest[i]);
                rest.RemoveAt(i--);
            }

            foreach (var p in rest) PruneFromMesh(topic, mesh, p, peerExchange: true);
        }

        if (mesh.Count >= _options.DLow)
        {
            int outbound = 0;
            foreach (var p in mesh)
            {
                if (IsOutbound(p)) outbound++;
            }

            if (outbound < _options.DOut)
            {
                foreach (var p in Candidates(topic, mesh, _options.DOut - outbound, static (r, p) => r.IsOutbound(p) && r._score.Score(p) >= 0))
                {
                    mesh.Add(p);
                    Graft(p, topic);
                }
            }
        }

        // v1.1 §Opportunistic Grafting: if the median mesh score is low, graft a few better-scoring peers.
        if (_heartbeats % _options.OpportunisticGraftTicks == 0 && mesh.Count > 1)
        {
            var scores = new List<double>(mesh.Count);
            foreach (var p in mesh) scores.Add(_score.Score(p));
            scores.Sort();
            double median = scores[scores.Count / 2];
            if (median < _options.Thresholds.OpportunisticGraftThreshold)
            {
                foreach (var p in Candidates(topic, mesh, _options.OpportunisticGraftPeers, (r, p) => r._score.Score(p) > median))
                {
                    mesh.Add(p);
                    Graft(p, topic);
                }
            }
        }
    }

    private void PruneFromMesh(string topic, HashSet<PeerId> mesh, PeerId peer, bool peerExchange)
    {
        mesh.Remove(peer);
        _score.Prune(peer, topic);
        AddBackoff(topic, peer, _options.PruneBackoff);
        SendPrune(peer, topic, peerExchange, _options.PruneBackoff);
    }

    private bool IsOutbound(PeerId peer) => _peers.TryGetValue(peer, out var ps) && ps.Outbound;

    private void MaintainFanout(long now)
    {
        List<string>? expired = null;
        foreach (var (topic, last) in _fanoutLastPublish)
        {
            if (last + _options.FanoutTtl.Ticks < now) (expired ??= []).Add(topic);
        }

        if (expired is not null)
        {
            foreach (var t in expired)
            {
                _fanout.Remove(t);
                _fanoutLastPublish.Remove(t);
            }
        }

        foreach (var (topic, fanout) in _fanout)
        {
            fanout.RemoveWhere(p => !_topics.TryGetValue(topic, out var s) || !s.Contains(p) || _score.Score(p) < _options.Thresholds.PublishThreshold);
            if (fanout.Count < _options.D)
            {
                foreach (var p in Candidates(topic, fanout, _options.D - fanout.Count, static (r, p) => r._score.Score(p) >= r._options.Thresholds.PublishThreshold))
                {
                    fanout.Add(p);
                }
            }
        }
    }

    private void EmitGossip()
    {
        foreach (var (topic, mesh) in _mesh) EmitGossip(topic, mesh);
        foreach (var (topic, fanout) in _fanout) EmitGossip(topic, fanout);
    }

    private void EmitGossip(string topic, HashSet<PeerId> exclude)
    {
        if (!_topics.ContainsKey(topic)) return;
        var eligible = Candidates(topic, exclude, int.MaxValue, static (r, p) => r._score.Score(p) >= r._options.Thresholds.GossipThreshold);
        // Nobody to gossip to (every subscriber is in the mesh): do not collect the window's ids at all.
        if (eligible.Count == 0) return;
        var ids = _gossipIds;
        _mcache.CollectGossipIds(topic, ids);
        if (ids.Count == 0) return;
        // Candidates skips peers in backoff; gossip may still go to them, but staying conservative costs nothing.
        int target = Math.Max(_options.DLazy, (int)(_options.GossipFactor * eligible.Count));
        if (eligible.Count > target) eligible.RemoveRange(target, eligible.Count - target);
        if (ids.Count > _options.MaxIHaveLength)
        {
            Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids));
            ids.RemoveRange(_options.MaxIHaveLength, ids.Count - _options.MaxIHaveLength);
        }

        foreach (var p in eligible)
        {
            var ihave = new ControlIHave { TopicId = topic };
            foreach (var id in ids) ihave.MessageIds.Add(id.Bytes);
            GetOutgoing(p).Control.IHave.Add(ihave);
        }

        ids.Clear();
    }

    private void ApplyBrokenPromises(long now)
    {
        List<MessageId>? done = null;
        foreach (var (id, byPeer) in _promises)
        {
            List<PeerId>? broken = null;
            foreach (var (peer, expires) in byPeer)
            {
                if (expires <= now) (broken ??= []).Add(peer);
            }

            if (broken is null) continue;
            foreach (var peer in broken)
            {
                byPeer.Remove(peer);
                _score.AddPenalty(peer, 1);
            }

            if (byPeer.Count == 0) (done ??= []).Add(id);
        }

        if (done is not null)
        {
            foreach (var id in done) _promises.Remove(id);
        }
    }

    private void ExpireBackoffs(long now)
    {
        long slack = _options.BackoffSlackHeartbeats * _options.HeartbeatInterval.Ticks;
        List<string>? emptyTopics = null;
        foreach (var (topic, map) in _backoff)
        {
            List<PeerId>? expired = null;
            foreach (var (peer, until) in map)
            {
                if (until + slack < now) (expired ??= []).Add(peer);
            }

            if (expired is not null)
            {
                foreach (var p in expired) map.Remove(p);
            }

            if (map.Count == 0) (emptyTopics ??= []).Add(topic);
        }

        if (emptyTopics is not null)
        {
            foreach (var t in emptyTopics) _backoff.Remove(t);
        }
    }
}

// Peer scoring: gossipsub v1.1 §The Score Function
// (https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#the-score-function)
//
//   Score(p) = TopicCap( Σ_t t_i · (w1·P1 + w2·P2 + w3·P3 + w3b·P3b + w4·P4) ) + w5·P5 + w6·P6 + w7·P7
//
// Owned by the router loop; not thread-safe.
using System.Net;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Gossipsub.Router;

internal sealed class PeerScore
{
    private readonly PeerScoreParams _params;
    private readonly Dictionary<PeerId, PeerStats> _peers = [];
    private readonly Dictionary<IPAddress, HashSet<PeerId>> _peersByIp = [];
    private long _lastDecayTicks;

    public PeerScore(PeerScoreParams parameters, long nowTicks)
    {
        _params = parameters;
        _lastDecayTicks = nowTicks;
    }

    public int TrackedPeers => _peers.Count;

    public void AddPeer(PeerId peer, IPAddress? address)
    {
        if (!_peers.TryGetValue(peer, out var stats))
        {
            stats = new PeerStats();
            _peers[peer] = stats;
        }

        stats.Connected = true;
        if (address is not null)
        {
            stats.Address = address;
            if (!_peersByIp.TryGetValue(address, out var set))
            {
                set = [];
                _peersByIp[address] = set;
            }

            set.Add(peer);
        }
    }

    public void RemovePeer(PeerId peer, long nowTicks)
    {
        if (!_peers.TryGetValue(peer, out var stats)) return;
        if (stats.Address is not null && _peersByIp.TryGetValue(stats.Address, out var set))
        {
            set.Remove(peer);
            if (set.Count == 0) _peersByIp.Remove(stats.Address);
        }

        // v1.1: a peer leaving the mesh by disconnecting still carries its delivery deficit (P3b).
        foreach (var (topic, ts) in stats.Topics)
        {
            if (ts.InMesh) ApplyMeshFailure(topic, ts);
            ts.InMesh = false;
        }

        if (Score(peer) > 0)
        {
            // Positive scores are not retained, so a peer cannot bank score by reconnecting.
            _peers.Remove(peer);
            return;
        }

        stats.Connected = false;
        stats.ExpireTicks = nowTicks + _params.RetainScore.Ticks;
    }

    public double Score(PeerId peer)
    {
        if (!_peers.TryGetValue(peer, out var stats)) return 0;
        double score = 0;
        foreach (var (topic, ts) in stats.Topics)
        {
            if (!_params.Topics.TryGetValue(topic, out var tp)) continue;
            double topicScore = 0;
            if (ts.InMesh)
            {
                double p1 = Math.Min(ts.MeshTimeTicks / (double)Math.Max(1, tp.TimeInMeshQuantum.Ticks), tp.TimeInMeshCap);
                topicScore += p1 * tp.TimeInMeshWeight;
            }

            topicScore += ts.FirstMessageDeliveries * tp.FirstMessageDeliveriesWeight;
            if (ts.MeshMessageDeliveriesActive && ts.MeshMessageDeliveries < tp.MeshMessageDeliveriesThreshold)
            {
                double deficit = tp.MeshMessageDeliveriesThreshold - ts.MeshMessageDeliveries;
                topicScore += deficit * deficit * tp.MeshMessageDeliveriesWeight;
            }

            topicScore += ts.MeshFailurePenalty * tp.MeshFailurePenaltyWeight;
            topicScore += ts.InvalidMessageDeliveries * ts.InvalidMessageDeliveries * tp.InvalidMessageDeliveriesWeight;
            score += topicScore * tp.TopicWeight;
        }

        if (_params.TopicScoreCap > 0 && score > _params.TopicScoreCap) score = _params.TopicScoreCap;
        score += _params.AppSpecificScore(peer) * _params.AppSpecificWeight;
        if (stats.Address is not null
            && !_params.IPColocationFactorWhitelist.Contains(stats.Address)
            && _peersByIp.TryGetValue(stats.Address, out var colocated)
            && colocated.Count > _params.IPColocationFactorThreshold)
        {
            double surplus = colocated.Count - _params.IPColocationFactorThreshold;
            score += surplus * surplus * _params.IPColocationFactorWeight;
        }

        if (stats.BehaviourPenalty > _params.BehaviourPenaltyThreshold)
        {
            double excess = stats.BehaviourPenalty - _params.BehaviourPenaltyThreshold;
            score += excess * excess * _params.BehaviourPenaltyWeight;
        }

        return score;
    }

    public void AddPenalty(PeerId peer, double count)
    {
        if (_peers.TryGetValue(peer, out var stats)) stats.BehaviourPenalty += count;
    }

    public double BehaviourPenalty(PeerId peer) => _peers.TryGetValue(peer, out var s) ? s.BehaviourPenalty : 0;

    public void Graft(PeerId peer, string topic, long nowTicks)
    {
        var ts = Topic(peer, topic);
        if (ts is null) return;
        ts.InMesh = true;
        ts.GraftTicks = nowTicks;
        ts.MeshTimeTicks = 0;
        ts.MeshMessageDeliveriesActive = false;
    }

    public void Prune(PeerId peer, string topic)
    {
        var ts = Topic(peer, topic);
        if (ts is null) return;
        ApplyMeshFailure(topic, ts);
        ts.InMesh = false;
    }

    /// <summary>The first delivery of a valid message (P2), plus P3 for the first and near-first mesh deliverers.</summary>
    public void ValidatedMessage(PeerId first, string topic, IEnumerable<PeerId> nearFirst)
    {
        if (!_params.Topics.TryGetValue(topic, out var tp)) return;
        var ts = Topic(first, topic);
        if (ts is not null)
        {
            ts.FirstMessageDeliveries = Math.Min(ts.FirstMessageDeliveries + 1, tp.FirstMessageDeliveriesCap);
            if (ts.InMesh) ts.MeshMessageDeliveries = Math.Min(ts.MeshMessageDeliveries + 1, tp.MeshMessageDeliveriesCap);
        }

        foreach (var peer in nearFirst) DuplicateInWindow(peer, topic);
    }

    /// <summary>A duplicate that arrived within the P3 window of the first delivery.</summary>
    public void DuplicateInWindow(PeerId peer, string topic)
    {
        if (!_params.Topics.TryGetValue(topic, out var tp)) return;
        var ts = Topic(peer, topic);
        if (ts is not null && ts.InMesh) ts.MeshMessageDeliveries = Math.Min(ts.MeshMessageDeliveries + 1, tp.MeshMessageDeliveriesCap);
    }

    public TimeSpan DeliveryWindow(string topic) =>
        _params.Topics.TryGetValue(topic, out var tp) ? tp.MeshMessageDeliveriesWindow : TimeSpan.Zero;

    /// <summary>An invalid message (bad signature or rejected by the validator): P4.</summary>
    public void RejectedMessage(PeerId peer, string topic)
    {
        var ts = Topic(peer, topic);
        if (ts is not null) ts.InvalidMessageDeliveries += 1;
    }

    /// <summary>Decays counters once per decay interval and advances time in mesh; expires retained scores.</summary>
    public void Refresh(long nowTicks)
    {
        long interval = Math.Max(1, _params.DecayInterval.Ticks);
        bool decay = nowTicks - _lastDecayTicks >= interval;
        if (decay) _lastDecayTicks = nowTicks;
        List<PeerId>? expired = null;
        foreach (var (peer, stats) in _peers)
        {
            if (!stats.Connected && stats.ExpireTicks <= nowTicks)
            {
                (expired ??= []).Add(peer);
                continue;
            }

            foreach (var (topic, ts) in stats.Topics)
            {
                if (!_params.Topics.TryGetValue(topic, out var tp)) continue;
                if (ts.InMesh)
                {
                    ts.MeshTimeTicks = nowTicks - ts.GraftTicks;
                    if (ts.MeshTimeTicks > tp.MeshMessageDeliveriesActivation.Ticks) ts.MeshMessageDeliveriesActive = true;
                }

                if (!decay) continue;
                ts.FirstMessageDeliveries = Decay(ts.FirstMessageDeliveries, tp.FirstMessageDeliveriesDecay);
                ts.MeshMessageDeliveries = Decay(ts.MeshMessageDeliveries, tp.MeshMessageDeliveriesDecay);
                ts.MeshFailurePenalty = Decay(ts.MeshFailurePenalty, tp.MeshFailurePenaltyDecay);
                ts.InvalidMessageDeliveries = Decay(ts.InvalidMessageDeliveries, tp.InvalidMessageDeliveriesDecay);
            }

            if (decay) stats.BehaviourPenalty = Decay(stats.BehaviourPenalty, _params.BehaviourPenaltyDecay);
        }

        if (expired is not null)
        {
            foreach (var peer in expired) _peers.Remove(peer);
        }
    }

    private double Decay(double value, double factor)
    {
        value *= factor;
        return value < _params.DecayToZero ? 0 : value;
    }

    private void ApplyMeshFailure(string topic, TopicStats ts)
    {
        if (!_params.Topics.TryGetValue(topic, out var tp)) return;
        if (ts.MeshMessageDeliveriesActive && ts.MeshMessageDeliveries < tp.MeshMessageDeliveriesThreshold)
        {
            double deficit = tp.MeshMessageDeliveriesThreshold - ts.MeshMessageDeliveries;
            ts.MeshFailurePenalty += deficit * deficit;
        }
    }

    private TopicStats? Topic(PeerId peer, string topic)
    {
        if (!_params.Topics.ContainsKey(topic) || !_peers.TryGetValue(peer, out var stats)) return null;
        if (!stats.Topics.TryGetValue(topic, out var ts))
        {
            ts = new TopicStats();
            stats.Topics[topic] = ts;
        }

        return ts;
    }

    private sealed class PeerStats
    {
        public bool Connected { get; set; }

        public long ExpireTicks { get; set; }

        public IPAddress? Address { get; set; }

        public double BehaviourPenalty { get; set; }

        public Dictionary<string, TopicStats> Topics { get; } = new(StringComparer.Ordinal);
    }

    private sealed class TopicStats
    {
        public bool InMesh { get; set; }

        public long GraftTicks { get; set; }

        public long MeshTimeTicks { get; set; }

        public double FirstMessageDeliveries { get; set; }

        public double MeshMessageDeliveries { get; set; }

        public bool MeshMessageDeliveriesActive { get; set; }

        public double MeshFailurePenalty { get; set; }

        public double InvalidMessageDeliveries { get; set; }
    }
}

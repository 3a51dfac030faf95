// Peer scoring parameters: gossipsub v1.1 §Peer Scoring
// (https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#peer-scoring).
// Defaults follow js-libp2p (@chainsafe/libp2p-gossipsub score/peer-score-params).
using System.Net;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>
/// Global scoring parameters. Topics are scored only when listed in <see cref="Topics"/> (js configures none by
/// default, so only P5, P6 and P7 count unless the application adds topics).
/// </summary>
public sealed class PeerScoreParams
{
    /// <summary>Per-topic parameters (P1..P4).</summary>
    public Dictionary<string, TopicScoreParams> Topics { get; } = new(StringComparer.Ordinal);

    /// <summary>Cap on the summed topic contribution (0 = none).</summary>
    public double TopicScoreCap { get; set; } = 10;

    /// <summary>Application-specific score (P5) of a peer; default 0.</summary>
    public Func<PeerId, double> AppSpecificScore { get; set; } = static _ => 0;

    /// <summary>Weight of P5.</summary>
    public double AppSpecificWeight { get; set; } = 10;

    /// <summary>Weight of P6 (IP colocation), negative.</summary>
    public double IPColocationFactorWeight { get; set; } = -5;

    /// <summary>Peers per IP before P6 applies.</summary>
    public int IPColocationFactorThreshold { get; set; } = 10;

    /// <summary>Addresses exempt from P6 (tests on 127.0.0.1 add loopback here).</summary>
    public HashSet<IPAddress> IPColocationFactorWhitelist { get; } = [];

    /// <summary>Weight of P7 (behaviour penalty), negative.</summary>
    public double BehaviourPenaltyWeight { get; set; } = -10;

    /// <summary>P7 counter value below which no penalty applies.</summary>
    public double BehaviourPenaltyThreshold { get; set; }

    /// <summary>Decay factor of the P7 counter per decay interval.</summary>
    public double BehaviourPenaltyDecay { get; set; } = 0.2;

    /// <summary>How often counters decay.</summary>
    public TimeSpan DecayInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Counters below this become zero.</summary>
    public double DecayToZero { get; set; } = 0.1;

    /// <summary>How long a disconnected peer's score is remembered.</summary>
    public TimeSpan RetainScore { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Scoring parameters of one topic (P1..P4); defaults are js-libp2p's per-topic defaults.</summary>
public sealed class TopicScoreParams
{
    /// <summary>Weight of this topic in the sum.</summary>
    public double TopicWeight { get; set; } = 0.5;

    /// <summary>P1 weight (time in mesh).</summary>
    public double TimeInMeshWeight { get; set; } = 1;

    /// <summary>P1 quantum.</summary>
    public TimeSpan TimeInMeshQuantum { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>P1 cap.</summary>
    public double TimeInMeshCap { get; set; } = 3600;

    /// <summary>P2 weight (first message deliveries).</summary>
    public double FirstMessageDeliveriesWeight { get; set; } = 1;

    /// <summary>P2 decay.</summary>
    public double FirstMessageDeliveriesDecay { get; set; } = 0.5;

    /// <summary>P2 cap.</summary>
    public double FirstMessageDeliveriesCap { get; set; } = 2000;

    /// <summary>P3 weight (mesh delivery deficit), negative.</summary>
    public double MeshMessageDeliveriesWeight { get; set; } = -1;

    /// <summary>P3 decay.</summary>
    public double MeshMessageDeliveriesDecay { get; set; } = 0.5;

    /// <summary>P3 cap.</summary>
    public double MeshMessageDeliveriesCap { get; set; } = 100;

    /// <summary>P3 threshold: fewer deliveries than this is a deficit.</summary>
    public double MeshMessageDeliveriesThreshold { get; set; } = 20;

    /// <summary>Window after the first delivery in which a duplicate from a mesh peer still counts.</summary>
    public TimeSpan MeshMessageDeliveriesWindow { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Time in the mesh before P3 applies.</summary>
    public TimeSpan MeshMessageDeliveriesActivation { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>P3b weight (sticky mesh failure penalty), negative.</summary>
    public double MeshFailurePenaltyWeight { get; set; } = -1;

    /// <summary>P3b decay.</summary>
    public double MeshFailurePenaltyDecay { get; set; } = 0.5;

    /// <summary>P4 weight (invalid messages), negative.</summary>
    public double InvalidMessageDeliveriesWeight { get; set; } = -1;

    /// <summary>P4 decay.</summary>
    public double InvalidMessageDeliveriesDecay { get; set; } = 0.3;
}

/// <summary>Score thresholds (gossipsub v1.1 §Score Thresholds); defaults are js-libp2p's.</summary>
public sealed class PeerScoreThresholds
{
    /// <summary>Below this no gossip is sent to or accepted from the peer.</summary>
    public double GossipThreshold { get; set; } = -10;

    /// <summary>Below this the peer gets no flood-published messages.</summary>
    public double PublishThreshold { get; set; } = -50;

    /// <summary>Below this every RPC of the peer is ignored.</summary>
    public double GraylistThreshold { get; set; } = -80;

    /// <summary>Peer exchange from PRUNE is used only from peers scoring at least this.</summary>
    public double AcceptPXThreshold { get; set; } = 10;

    /// <summary>The heartbeat grafts opportunistically when the median mesh score is below this.</summary>
    public double OpportunisticGraftThreshold { get; set; } = 20;

    /// <summary>Throws when the constraints of v1.1 §Score Thresholds do not hold.</summary>
    public void Validate()
    {
        if (GossipThreshold > 0) throw new ArgumentException($"{nameof(GossipThreshold)} must be <= 0");
        if (PublishThreshold > GossipThreshold) throw new ArgumentException($"{nameof(PublishThreshold)} must be <= {nameof(GossipThreshold)}");
        if (GraylistThreshold > PublishThreshold) throw new ArgumentException($"{nameof(GraylistThreshold)} must be <= {nameof(PublishThreshold)}");
        if (AcceptPXThreshold < 0) throw new ArgumentException($"{nameof(AcceptPXThreshold)} must be >= 0");
        if (OpportunisticGraftThreshold < 0) throw new ArgumentException($"{nameof(OpportunisticGraftThreshold)} must be >= 0");
    }
}

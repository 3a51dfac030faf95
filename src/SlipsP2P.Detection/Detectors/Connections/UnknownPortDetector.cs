using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// Unknown destination port (Slips' conn <c>check_unknown_port</c>): an established TCP or UDP flow to a port that is
/// not in the known-ports list. HIGH, confidence 1. Flows whose source port is a known service port are replies seen
/// from the other side and are skipped, as are multicast and broadcast destinations.
/// <para>
/// Peer-to-peer traffic (BitTorrent's DHT, games, WebRTC) talks UDP on high ports by design, so, like Slips' conn
/// <c>is_p2p</c>, UDP flows to ports above <see cref="P2pMinPort"/> stop counting as unknown once they look like P2P:
/// after <see cref="P2pDestinations"/> distinct destinations have been seen on such ports, or from the
/// <see cref="P2pFlowsPerDestination"/>th such flow to one destination. As in Slips the count is the detector's,
/// across profiles and windows; it needs at most <see cref="P2pDestinations"/> entries.
/// </para>
/// </summary>
public sealed class UnknownPortDetector : HeuristicDetector
{
    /// <summary>UDP destination ports above this one may be peer-to-peer traffic.</summary>
    public const int P2pMinPort = 30000;

    /// <summary>Distinct destinations on high UDP ports after which such flows are taken for P2P.</summary>
    public const int P2pDestinations = 5;

    /// <summary>Flows on high UDP ports to one destination after which its flows are taken for P2P.</summary>
    public const int P2pFlowsPerDestination = 6;

    private readonly KnownPorts _ports;
    private readonly HashSet<(IpAddr, IpAddr, ushort, int)> _reported = new();
    private readonly IpAddr[] _p2pDestinations = new IpAddr[P2pDestinations];
    private readonly int[] _p2pFlows = new int[P2pDestinations];
    private int _p2pCount;

    /// <summary>Creates the detector over a ports list.</summary>
    public UnknownPortDetector(KnownPorts ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        _ports = ports;
    }

    public override string Name => "unknown_port";

    public override RecordKinds HandledKinds => RecordKinds.Flow;

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (!flow.Established || flow.Protocol is not (Protocol.Tcp or Protocol.Udp) || flow.DestinationPort == 0) return;
        if (_ports.IsKnown(flow.Protocol, flow.DestinationPort) || _ports.IsKnown(flow.Protocol, flow.SourcePort)) return;
        if (flow.Destination.IsMulticast || flow.Destination.IsBroadcast || flow.Destination.IsSpecial) return;
        if (flow.Protocol == Protocol.Udp && flow.DestinationPort > P2pMinPort && LooksLikeP2p(flow.Destination)) return;
        // One evidence per source, destination, port and window: Slips reports each flow, which floods the log.
        if (_reported.Count > 200_000) _reported.Clear();
        if (!_reported.Add((flow.Source, flow.Destination, flow.DestinationPort, ctx.TimeWindow))) return;
        Raise(flow, ctx);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx) =>
        ctx.Raise(Make(flow, EvidenceTypes.UnknownPort, ThreatLevel.High, 1.0,
            $"Connection to unknown destination port {flow.DestinationPort}/{flow.Protocol.ToName()} destination IP {flow.Destination}.", flow.Protocol));

    /// <summary>
    /// Counts a flow to <paramref name="destination"/> on a high UDP port and says whether such flows now look like P2P
    /// (Slips' order: a destination already at the per-destination count is P2P; otherwise the flow is counted, and
    /// the count of distinct destinations decides).
    /// </summary>
    private bool LooksLikeP2p(IpAddr destination)
    {
        if (_p2pCount >= P2pDestinations) return true;
        int i = Array.IndexOf(_p2pDestinations, destination, 0, _p2pCount);
        if (i >= 0)
        {
            if (_p2pFlows[i] >= P2pFlowsPerDestination) return true;
            _p2pFlows[i]++;
        }
        else
        {
            _p2pDestinations[_p2pCount] = destination;
            _p2pFlows[_p2pCount++] = 1;
        }

        return _p2pCount >= P2pDestinations;
    }

    public override void EvictBefore(int window) => _reported.RemoveWhere(k => k.Item4 < window);
}

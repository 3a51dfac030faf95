using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// Unknown destination port (Slips' conn <c>check_unknown_port</c>): an established TCP or UDP flow to a port that is
/// not in the known-ports list. HIGH, confidence 1. Flows whose source port is a known service port are replies seen
/// from the other side and are skipped, as are multicast and broadcast destinations.
/// </summary>
public sealed class UnknownPortDetector : HeuristicDetector
{
    private readonly KnownPorts _ports;
    private readonly HashSet<(IpAddr, IpAddr, ushort, int)> _reported = new();

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

    public override void EvictBefore(int window) => _reported.RemoveWhere(k => k.Item4 < window);
}

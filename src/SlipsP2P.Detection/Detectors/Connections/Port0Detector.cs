using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// Port 0 (Slips' conn <c>check_port_0_connections</c>): a TCP or UDP flow with source or destination port 0, which no
/// legitimate stack sends (OS fingerprinting, crafted packets). HIGH, confidence 0.8, one per source and destination.
/// </summary>
public sealed class Port0Detector : HeuristicDetector
{
    private readonly HashSet<(IpAddr, IpAddr)> _reported = new();

    public override string Name => "port_0";

    public override RecordKinds HandledKinds => RecordKinds.Flow;

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (flow.Protocol is not (Protocol.Tcp or Protocol.Udp)) return;
        if (flow.SourcePort != 0 && flow.DestinationPort != 0) return;
        if (flow.Destination.IsMulticast || flow.Destination.IsBroadcast || flow.Source.IsNone) return;
        if (_reported.Count > 100_000) _reported.Clear();
        if (!_reported.Add((flow.Source, flow.Destination))) return;
        Raise(flow, ctx);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx) =>
        ctx.Raise(Make(flow, EvidenceTypes.Port0Connection, ThreatLevel.High, 0.8,
            $"Connection on port 0 from {flow.Source}:{flow.SourcePort} to {flow.Destination}:{flow.DestinationPort}/{flow.Protocol.ToName()}.",
            flow.Protocol));
}

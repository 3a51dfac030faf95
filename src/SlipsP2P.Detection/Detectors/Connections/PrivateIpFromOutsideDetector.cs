using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// Connection to a private IP from outside (Slips' CONNECTION_TO_PRIVATE_IP, turned around as the issue asks): an
/// established connection from a public address into a private one, which NAT should make impossible unless a port
/// is forwarded. INFO, confidence 1 (Slips' level), once per pair and window.
/// </summary>
public sealed class PrivateIpFromOutsideDetector : HeuristicDetector
{
    private readonly HashSet<(IpAddr, IpAddr, int)> _reported = new();

    public override string Name => "private_ip_from_outside";

    public override RecordKinds HandledKinds => RecordKinds.Flow;

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (!flow.Established || flow.Protocol is not (Protocol.Tcp or Protocol.Udp)) return;
        if (!flow.Destination.IsPrivate || flow.Source.IsPrivate || flow.Source.IsSpecial || flow.Source.IsNone) return;
        if (_reported.Count > 100_000) _reported.Clear();
        if (!_reported.Add((flow.Source, flow.Destination, ctx.TimeWindow))) return;
        Raise(flow, ctx);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx) =>
        ctx.Raise(Make(flow, EvidenceTypes.ConnectionToPrivateIp, ThreatLevel.Info, 1.0,
            $"Connecting to private IP: {flow.Destination} on destination port: {flow.DestinationPort} from outside IP {flow.Source}.", flow.Protocol));

    public override void EvictBefore(int window) => _reported.RemoveWhere(k => k.Item3 < window);
}

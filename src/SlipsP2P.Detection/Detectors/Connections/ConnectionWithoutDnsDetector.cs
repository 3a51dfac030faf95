using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// Connection without a preceding DNS resolution (Slips' conn <c>check_connection_without_dns_resolution</c>): an
/// established TCP connection to a public address that no DNS answer in the traffic named. INFO, confidence 0.8, once
/// per destination and window. DNS, NTP, DHCP and other infrastructure ports are skipped, as Slips does.
/// </summary>
public sealed class ConnectionWithoutDnsDetector : HeuristicDetector
{
    private readonly HashSet<(IpAddr, IpAddr, int)> _reported = new();
    private bool _sawDns;

    public override string Name => "connection_without_dns";

    public override RecordKinds HandledKinds => RecordKinds.Flow | RecordKinds.Dns;

    /// <summary>It raises nothing until a DNS record has been seen.</summary>
    public override RecordKinds NeededKinds => RecordKinds.Dns;

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        if (record is DnsRecord) _sawDns = true;
    }

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        // Without any DNS record in the input (a capture of one host's non-DNS traffic, a conn.log without its
        // dns.log, an Argus binetflow) every connection would match, even when the input shows port-53 flows: their
        // answers are not in it. Slips has the same blind spot (90,353 evidence on the benchmark's conn.log); we stay
        // silent until the input has carried a DNS record.
        if (!_sawDns) return;
        if (flow.DestinationPort is 53 or 5353 or 123 or 67 or 68 or 137) return;
        if (!flow.Established || flow.Protocol != Protocol.Tcp) return;
        var dst = flow.Destination;
        if (dst.IsPrivate || dst.IsSpecial || dst.IsBroadcast || !Addresses.IsScanTarget(dst)) return;
        if (ctx.WasResolved(dst)) return;
        if (_reported.Count > 100_000) _reported.Clear();
        if (!_reported.Add((flow.Source, dst, ctx.TimeWindow))) return;
        Raise(flow, ctx);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx) =>
        ctx.Raise(Make(flow, EvidenceTypes.ConnectionWithoutDns, ThreatLevel.Info, 0.8,
            $"A connection without DNS resolution to IP: {flow.Destination} on port {flow.DestinationPort}/{flow.Protocol.ToName()}.", flow.Protocol));

    public override void EvictBefore(int window) => _reported.RemoveWhere(k => k.Item3 < window);
}

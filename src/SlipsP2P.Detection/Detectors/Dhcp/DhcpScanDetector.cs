using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Dhcp;

/// <summary>
/// DHCP scan (Slips' network_discovery <c>check_dhcp_scan</c>): a client requesting
/// <see cref="FlowAlertOptions.DhcpScanMinAddresses"/> distinct addresses in one window, then every that many more.
/// MEDIUM, confidence 0.8. Reads DHCP records (Zeek dhcp.log).
/// </summary>
public sealed class DhcpScanDetector : HeuristicDetector
{
    private readonly WindowedStore<IpAddr, State> _store = new(() => new State(), 65536);

    public override string Name => "dhcp_scan";

    public override RecordKinds HandledKinds => RecordKinds.Dhcp;

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (record is not DhcpRecord dhcp || dhcp.RequestedAddress.IsNone || dhcp.Source.IsNone) return;
        var state = _store.GetOrCreate(ctx.TimeWindow, dhcp.Source);
        if (state is null || state.Requested.Add(dhcp.RequestedAddress) != BoundedAdd.Added) return;
        int n = state.Requested.Count;
        int step = ctx.Options.FlowAlerts.DhcpScanMinAddresses;
        if (n % step != 0) return;
        ctx.Raise(Make(dhcp, EvidenceTypes.DhcpScan, ThreatLevel.Medium, 0.8,
            $"Performing a DHCP scan by requesting {n} different IP addresses. Threat level: medium.", Protocol.Udp));
    }

    public override void EvictBefore(int window) => _store.EvictBefore(window);

    private sealed class State
    {
        public BoundedSet<IpAddr> Requested { get; } = new(4096);
    }
}

using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection.Detectors.PortScans;

/// <summary>
/// Vertical and horizontal port scans over not-established TCP and UDP flows, per profile and time window
/// (Slips' <c>modules/network_discovery</c>). Each flow costs O(1): counters and bounded sets are updated in place
/// and the reporting rule looks only at the new count.
/// </summary>
public sealed class PortScanDetector : IDetector, IBoundedState
{
    /// <summary>Destination IPs tracked for vertical scans per profile and window.</summary>
    public const int MaxVerticalTargets = 4096;

    /// <summary>(port, protocol) pairs tracked for horizontal scans per profile and window.</summary>
    public const int MaxHorizontalPorts = 4096;

    /// <summary>Distinct destination IPs kept per port for horizontal scans.</summary>
    public const int MaxHostsPerPort = 65536;

    /// <summary>Profiles tracked per window.</summary>
    public const int MaxProfilesPerWindow = 262144;

    private readonly WindowedStore<IpAddr, ProfileScans> _state = new(static () => new ProfileScans(), MaxProfilesPerWindow);

    public string Name => "port_scans";

    public RecordKinds HandledKinds => RecordKinds.Flow;

    /// <summary>Distinct targets, ports or profiles not tracked because a cap was reached.</summary>
    public long Dropped
    {
        get
        {
            long d = _state.Dropped;
            foreach (var (_, _, s) in _state.All()) d += s.Dropped;
            return d;
        }
    }

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        // Slips counts only not-established flows: open ports are few next to the scanned range, and established
        // flows to many hosts are ordinary browsing.
        if (flow.Established || (flow.Protocol != Protocol.Tcp && flow.Protocol != Protocol.Udp)) return;
        if (!Addresses.IsScanTarget(flow.Destination) || flow.Source.IsNone) return;
        var scans = _state.GetOrCreate(ctx.TimeWindow, flow.Source);
        if (scans is null) return;
        long packets = flow.SourcePackets > 0 ? flow.SourcePackets : flow.TotalPackets;
        Vertical(flow, ctx, scans, packets);
        Horizontal(flow, ctx, scans, packets);
    }

    public void OnRecord(NetEvent record, DetectionContext ctx)
    {
    }

    public void OnFinish(DetectionContext ctx)
    {
    }

    public void EvictBefore(int window) => _state.EvictBefore(window);

    private static void Vertical(FlowRecord flow, DetectionContext ctx, ProfileScans scans, long packets)
    {
        var key = (flow.Destination, flow.Protocol);
        if (!scans.Vertical.TryGetValue(key, out var target))
        {
            if (scans.Vertical.Count >= MaxVerticalTargets)
            {
                scans.Dropped++;
                return;
            }

            target = new VerticalTarget();
            scans.Vertical[key] = target;
        }

        target.Packets += packets;
        target.Uids.Add(flow.Uid);
        // A ushort port set needs no cap: there are only 65536 ports.
        if (!target.AddPort(flow.DestinationPort)) return;
        int count = target.PortCount;
        if (!ScanReporting.ShouldReport(count, target.LastReported, ctx.Detectors.VerticalScanMinPorts)) return;
        target.LastReported = count;
        double confidence = ScanReporting.Confidence(target.Packets);
        string proto = flow.Protocol.ToName();
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.VerticalPortScan,
            Description = $"Vertical port scan to IP {flow.Destination} from {flow.Source}. Total {count} {proto.ToUpperInvariant()} ports were scanned. "
                          + $"Total packets sent to all ports: {target.Packets}. Confidence: {Addresses.FormatConfidence(confidence)}.",
            Attacker = flow.Source,
            Victim = flow.Destination,
            ThreatLevel = ThreatLevel.High,
            Confidence = confidence,
            Timestamp = flow.Timestamp,
            Protocol = flow.Protocol,
            Uids = target.Uids.Snapshot(),
        });
    }

    private static void Horizontal(FlowRecord flow, DetectionContext ctx, ProfileScans scans, long packets)
    {
        // Slips ignores flows Zeek flipped ('^' in the history): a host changing networks redoes many connections
        // that look like a scan. It also ignores hosts the traffic resolved by name: those were meant to be reached.
        if (flow.History.Contains('^', StringComparison.Ordinal) || ctx.WasResolved(flow.Destination)) return;
        var key = (flow.DestinationPort, flow.Protocol);
        if (!scans.Horizontal.TryGetValue(key, out var port))
        {
            if (scans.Horizontal.Count >= MaxHorizontalPorts)
            {
                scans.Dropped++;
                return;
            }

            port = new HorizontalPort();
            scans.Horizontal[key] = port;
        }

        port.Packets += packets;
        port.Uids.Add(flow.Uid);
        var added = port.Hosts.Add(flow.Destination);
        if (added == BoundedAdd.Dropped) scans.Dropped++;
        if (added != BoundedAdd.Added) return;
        int count = port.Hosts.Count;
        if (!ScanReporting.ShouldReport(count, port.LastReported, ctx.Detectors.HorizontalScanMinHosts)) return;
        port.LastReported = count;
        double confidence = ScanReporting.Confidence(port.Packets);
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.HorizontalPortScan,
            Description = $"Horizontal port scan to port {flow.DestinationPort}/{flow.Protocol.ToName()}. From {flow.Source} to {count} unique destination IPs. "
                          + $"Total packets sent: {port.Packets}. Confidence: {Addresses.FormatConfidence(confidence)}.",
            Attacker = flow.Source,
            ThreatLevel = ThreatLevel.High,
            Confidence = confidence,
            Timestamp = flow.Timestamp,
            Protocol = flow.Protocol,
            Port = flow.DestinationPort,
            Uids = port.Uids.Snapshot(),
        });
    }

    private sealed class ProfileScans
    {
        public Dictionary<(IpAddr, Protocol), VerticalTarget> Vertical { get; } = new();

        public Dictionary<(ushort, Protocol), HorizontalPort> Horizontal { get; } = new();

        public long Dropped { get; set; }
    }

    private sealed class VerticalTarget
    {
        // Most targets of a horizontal scan see one port: it is kept here, and the set is made at a second one.
        private ushort _firstPort;
        private HashSet<ushort>? _ports;

        public int PortCount { get; private set; }

        /// <summary>Adds a destination port; false when it was already counted.</summary>
        public bool AddPort(ushort port)
        {
            if (PortCount == 0)
            {
                _firstPort = port;
                PortCount = 1;
                return true;
            }

            if (_ports is null)
            {
                if (port == _firstPort) return false;
                _ports = [_firstPort];
            }

            if (!_ports.Add(port)) return false;
            PortCount = _ports.Count;
            return true;
        }

        public long Packets { get; set; }

        public int LastReported { get; set; }

        public UidList Uids { get; } = new();
    }

    private sealed class HorizontalPort
    {
        public BoundedSet<IpAddr> Hosts { get; } = new(MaxHostsPerPort);

        public long Packets { get; set; }

        public int LastReported { get; set; }

        public UidList Uids { get; } = new();
    }
}

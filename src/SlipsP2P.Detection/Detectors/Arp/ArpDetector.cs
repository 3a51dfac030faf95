using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Arp;

/// <summary>
/// Slips' arp module on ARP records (captures and Zeek arp.log):
/// <list type="bullet">
/// <item>ARP_SCAN: one sender asking for <see cref="FlowAlertOptions.ArpScanMinTargets"/> distinct addresses within
/// <see cref="FlowAlertOptions.ArpScanSeconds"/> seconds; LOW, 0.8; once per burst.</item>
/// <item>UNSOLICITED_ARP: a gratuitous reply (broadcast, or sender address equal to target address); LOW, 0.8; once per sender.</item>
/// <item>ARP_OUTSIDE_LOCALNET: a request from a private address for a public one, which cannot be on the local
/// link; LOW, 0.6; once per sender and target.</item>
/// </list>
/// </summary>
public sealed class ArpDetector : HeuristicDetector
{
    private const int MaxSenders = 65536;
    private const string Broadcast = "ff:ff:ff:ff:ff:ff";

    private readonly Dictionary<IpAddr, Burst> _bursts = new();
    private readonly HashSet<IpAddr> _unsolicited = new();
    private readonly HashSet<(IpAddr, IpAddr)> _outside = new();

    public override string Name => "arp";

    public override RecordKinds HandledKinds => RecordKinds.Arp;

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (record is not ArpRecord arp) return;
        if (arp.Operation == 2)
        {
            bool gratuitous = arp.DestinationMac.Equals(Broadcast, StringComparison.OrdinalIgnoreCase)
                              || (!arp.Source.IsNone && arp.Source.Equals(arp.Destination));
            if (gratuitous && !arp.Source.IsNone && _unsolicited.Count < MaxSenders && _unsolicited.Add(arp.Source))
            {
                ctx.Raise(Make(arp, EvidenceTypes.UnsolicitedArp, ThreatLevel.Low, 0.8,
                    $"Sent unsolicited ARP: {arp.Source} ({arp.SourceMac}), possible ARP cache poisoning.", Protocol.Arp));
            }

            return;
        }

        if (arp.Operation != 1 || arp.Source.IsNone || arp.Source.Equals(arp.Destination)) return;
        if (arp.Source.IsPrivate && !arp.Destination.IsPrivate && !arp.Destination.IsNone && arp.Destination.IsV4
            && !arp.Destination.IsSpecial && _outside.Count < MaxSenders && _outside.Add((arp.Source, arp.Destination)))
        {
            ctx.Raise(Make(arp, EvidenceTypes.ArpOutsideLocalnet, ThreatLevel.Low, 0.6,
                $"{arp.Source} sending ARP packet to a destination address outside of local network: {arp.Destination}.", Protocol.Arp));
        }

        var opts = ctx.Options.FlowAlerts;
        if (!_bursts.TryGetValue(arp.Source, out var burst))
        {
            if (_bursts.Count >= MaxSenders) _bursts.Clear();
            burst = new Burst(arp.Timestamp);
            _bursts[arp.Source] = burst;
        }

        if (arp.Timestamp - burst.Start > opts.ArpScanSeconds)
        {
            burst.Start = arp.Timestamp;
            burst.Targets.Clear();
            burst.Reported = false;
        }

        burst.Targets.Add(arp.Destination);
        if (burst.Reported || burst.Targets.Count < opts.ArpScanMinTargets) return;
        burst.Reported = true;
        ctx.Raise(Make(arp, EvidenceTypes.ArpScan, ThreatLevel.Low, 0.8,
            $"performing an arp scan. {arp.Source} asked for {burst.Targets.Count} addresses within {opts.ArpScanSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} seconds.",
            Protocol.Arp));
    }

    private sealed class Burst(double start)
    {
        public double Start = start;
        public bool Reported;
        public BoundedSet<IpAddr> Targets { get; } = new(4096);
    }
}

using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection.Detectors.IcmpSweep;

/// <summary>
/// ICMP sweeps, after Slips' <c>zeek-scripts/icmp-scans.zeek</c>: a profile sending echo requests (ICMP type 8,
/// ICMPv6 128), timestamp requests (13) or address-mask requests (17) to distinct hosts raises evidence every
/// <see cref="DetectorOptions.IcmpSweepMinHosts"/> new hosts, per time window. ICMP flows carry the type in
/// <see cref="NetEvent.SourcePort"/> and the code in <see cref="NetEvent.DestinationPort"/> (Zeek's convention).
/// </summary>
public sealed class IcmpSweepDetector : IDetector
{
    /// <summary>Distinct hosts kept per profile, window and scan kind.</summary>
    public const int MaxHostsPerKind = 65536;

    /// <summary>Profiles tracked per window.</summary>
    public const int MaxProfilesPerWindow = 262144;

    private readonly WindowedStore<IpAddr, Sweeps> _state = new(static () => new Sweeps(), MaxProfilesPerWindow);

    /// <summary>Distinct hosts at which a sweep's confidence reaches 1.</summary>
    public const int FullConfidenceHosts = 20;

    public string Name => "icmp_sweep";

    public RecordKinds HandledKinds => RecordKinds.Flow;

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        int kind = Kind(flow.Protocol, flow.SourcePort);
        if (kind < 0 || flow.Source.IsNone || !Addresses.IsScanTarget(flow.Destination)) return;
        var sweeps = _state.GetOrCreate(ctx.TimeWindow, flow.Source);
        if (sweeps is null) return;
        var hosts = sweeps.Hosts[kind] ??= new BoundedSet<IpAddr>(MaxHostsPerKind);
        sweeps.Uids[kind] ??= new UidList();
        sweeps.Uids[kind]!.Add(flow.Uid);
        if (hosts.Add(flow.Destination) != BoundedAdd.Added) return;
        int count = hosts.Count;
        if (count % ctx.Detectors.IcmpSweepMinHosts != 0) return;
        Raise(flow, ctx, kind, count, sweeps.Uids[kind]!);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx, int kind, int count, UidList uids)
    {
        // Slips scales the confidence as (hosts - 5) / 250, which is 0 at the first report and makes a sweep of a few
        // dozen hosts nearly weightless. Here it grows with the evidence: full at FullConfidenceHosts distinct hosts,
        // a sweep nobody does by accident.
        double confidence = Math.Round(Math.Min(1.0, count / (double)FullConfidenceHosts), 2);
        (string type, string what) = kind switch
        {
            EchoKind => (EvidenceTypes.IcmpAddressScan, "ICMP address scan"),
            TimestampKind => (EvidenceTypes.IcmpTimestampScan, "ICMP timestamp scan"),
            _ => (EvidenceTypes.IcmpAddressMaskScan, "ICMP address mask scan"),
        };
        ctx.Raise(new Evidence
        {
            Type = type,
            Description = $"{flow.Source} performed {what} on {count} hosts. Confidence: {Addresses.FormatConfidence(confidence)}.",
            Attacker = flow.Source,
            ThreatLevel = ThreatLevel.Medium,
            Confidence = confidence,
            Timestamp = flow.Timestamp,
            Protocol = flow.Protocol,
            Uids = uids.Snapshot(),
        });
    }

    public void OnRecord(NetEvent record, DetectionContext ctx)
    {
    }

    public void OnFinish(DetectionContext ctx)
    {
    }

    public void EvictBefore(int window) => _state.EvictBefore(window);

    private const int EchoKind = 0;
    private const int TimestampKind = 1;
    private const int MaskKind = 2;

    private static int Kind(Protocol protocol, ushort type) => protocol switch
    {
        Protocol.Icmp => type switch
        {
            8 => EchoKind,
            13 => TimestampKind,
            17 => MaskKind,
            _ => -1,
        },
        Protocol.Icmp6 => type == 128 ? EchoKind : -1,
        _ => -1,
    };

    private sealed class Sweeps
    {
        public BoundedSet<IpAddr>?[] Hosts { get; } = new BoundedSet<IpAddr>?[3];

        public UidList?[] Uids { get; } = new UidList?[3];
    }
}

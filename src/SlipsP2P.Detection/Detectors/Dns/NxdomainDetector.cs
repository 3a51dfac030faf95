using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Dns;

/// <summary>
/// DGA-like bursts of NXDOMAIN (Slips' dns <c>detect_dga</c>): a profile receiving
/// <see cref="FlowAlertOptions.NxdomainThreshold"/> NXDOMAIN answers in a window raises HIGH evidence with confidence
/// min(1, n/100), then again every 5 more. Reverse lookups (in-addr.arpa, ip6.arpa) and .local names are skipped.
/// </summary>
public sealed class NxdomainDetector : HeuristicDetector
{
    private readonly WindowedStore<IpAddr, State> _store = new(() => new State(), 100_000);

    public override string Name => "dga_nxdomain";

    public override RecordKinds HandledKinds => RecordKinds.Dns;

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (record is not DnsRecord dns || dns.ResponseCode != 3) return;
        if (dns.Query.EndsWith(".arpa", StringComparison.OrdinalIgnoreCase) || dns.Query.EndsWith(".local", StringComparison.OrdinalIgnoreCase)) return;
        var state = _store.GetOrCreate(ctx.TimeWindow, dns.Source);
        if (state is null) return;
        state.Count++;
        state.Uids.Add(dns.Uid);
        int threshold = ctx.Options.FlowAlerts.NxdomainThreshold;
        if (state.Count < threshold || (state.Count - threshold) % 5 != 0) return;
        double confidence = Math.Min(1.0, state.Count / 100.0);
        ctx.Raise(Make(dns, EvidenceTypes.NxdomainBurst, ThreatLevel.High, confidence,
            $"Possible DGA or domain scanning. {dns.Source} failed to resolve {state.Count} domains. Confidence: {Addresses.FormatConfidence(confidence)}.",
            Protocol.Udp, state.Uids.Snapshot()));
    }

    public override void EvictBefore(int window) => _store.EvictBefore(window);

    private sealed class State
    {
        public int Count;
        public UidList Uids = new();
    }
}

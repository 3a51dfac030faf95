using System.Runtime.CompilerServices;
using SlipsP2P.Detection.ThreatIntelligence;

namespace SlipsP2P.Detection.Detectors.ThreatIntelligence;

/// <summary>
/// Matches traffic against IoCs (Slips' threat_intelligence module): source and destination IPs of flows (exact or
/// CIDR), destinations in a listed ASN (through the store's IP-to-ASN table), DNS queries and answers, TLS SNI, JA3
/// and JA3S, HTTP hosts. Evidence has Slips' THREAT_INTELLIGENCE_* and
/// MALICIOUS_JA3(S) types, the listing's threat level and confidence 1. Each indicator is reported once per profile
/// and window. Every lookup is a hash probe (plus one per listed prefix length for ranges, one per label for names).
/// </summary>
public sealed class ThreatIntelligenceDetector : IDetector
{
    private const int MaxReportedPerWindow = 100_000;

    /// <summary>Destination addresses whose AS number is remembered (the cache is emptied when full or when the store changes).</summary>
    public const int MaxCachedAsns = 65536;

    private readonly IocSource _source;
    private readonly Dictionary<int, HashSet<(IpAddr, string, string)>> _reported = new();
    private readonly Dictionary<IpAddr, uint> _asnCache = new();
    private readonly Dictionary<uint, string> _asnNames = new();
    private IocStore? _asnCacheStore;

    /// <summary>Creates the detector reading IoCs from <paramref name="source"/> (which may be refreshed meanwhile).</summary>
    public ThreatIntelligenceDetector(IocSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
    }

    public string Name => "threat_intelligence";

    public RecordKinds HandledKinds => RecordKinds.Flow | RecordKinds.Dns | RecordKinds.Tls | RecordKinds.Http;

    /// <summary>Where the IoCs come from; a refresher publishes new stores into it while detection runs.</summary>
    public IocSource Source => _source;

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        var store = _source.Current;
        if (store.AsnCount > 0 && store.AsnTable.Count > 0) MatchAsn(store, flow, ctx);
        if (store.IpCount == 0 && store.RangeCount == 0) return;
        if (store.TryMatchIp(flow.Destination, out var info, out var kind)) ToListedIp(flow, ctx, info, kind);
        if (store.TryMatchIp(flow.Source, out info, out kind)) FromListedIp(flow, ctx, info, kind);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ToListedIp(FlowRecord flow, DetectionContext ctx, IocInfo info, IocKind kind)
    {
        if (!First(ctx, flow.Source, EvidenceTypes.ThreatIntelligenceToBlacklistedIp, flow.Destination.ToString())) return;
        ctx.Raise(Make(flow, EvidenceTypes.ThreatIntelligenceToBlacklistedIp, info, flow.Source, flow.Destination, "",
            $"connection to blacklisted IP: {flow.Destination}{(kind == IocKind.Range ? " (listed range)" : "")} from {flow.Source}. Source: {info.Source}. Description: {info.Description}.",
            flow.Protocol));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FromListedIp(FlowRecord flow, DetectionContext ctx, IocInfo info, IocKind kind)
    {
        if (!First(ctx, flow.Source, EvidenceTypes.ThreatIntelligenceFromBlacklistedIp, flow.Source.ToString())) return;
        ctx.Raise(Make(flow, EvidenceTypes.ThreatIntelligenceFromBlacklistedIp, info, flow.Source, flow.Destination, "",
            $"connection from blacklisted IP: {flow.Source}{(kind == IocKind.Range ? " (listed range)" : "")} to {flow.Destination}. Source: {info.Source}. Description: {info.Description}.",
            flow.Protocol));
    }

    public void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(ctx);
        var store = _source.Current;
        if (store.Count == 0) return;
        switch (record)
        {
            case DnsRecord dns:
                Domain(store, dns, dns.Query, "DNS query", ctx, Protocol.Udp);
                int n = Math.Min(dns.Answers.Count, 32);
                for (int i = 0; i < n; i++)
                {
                    bool hit;
                    IocInfo info;
                    if (ctx.TryGetAnswerAddress(dns, i, out var ip)) hit = store.TryMatchIp(ip, out info, out _);
                    else hit = store.TryMatchDomain(dns.Answers[i], out info, out _);
                    if (!hit) continue;
                    string answer = dns.Answers[i]; // the text only for a match: a capture's answers are kept as addresses
                    if (!First(ctx, dns.Source, EvidenceTypes.ThreatIntelligenceBlacklistedDnsAnswer, answer)) continue;
                    ctx.Raise(Make(dns, EvidenceTypes.ThreatIntelligenceBlacklistedDnsAnswer, info, dns.Source, dns.Destination, answer,
                        $"DNS answer with a blacklisted IP or domain: {answer} for query: {dns.Query}. Source: {info.Source}. Description: {info.Description}.",
                        Protocol.Udp));
                }

                break;
            case TlsRecord tls:
                Domain(store, tls, tls.ServerName, "SNI", ctx, Protocol.Tcp);
                if (store.TryMatchJa3(tls.Ja3, out var ja3) && First(ctx, tls.Source, EvidenceTypes.MaliciousJa3, tls.Ja3))
                {
                    ctx.Raise(Make(tls, EvidenceTypes.MaliciousJa3, ja3, tls.Source, tls.Destination, tls.Ja3,
                        $"Malicious JA3: {tls.Ja3} from source address {tls.Source}. description: {ja3.Description}.", Protocol.Tcp));
                }

                if (store.TryMatchJa3(tls.Ja3s, out var ja3s) && First(ctx, tls.Destination, EvidenceTypes.MaliciousJa3s, tls.Ja3s))
                {
                    var e = Make(tls, EvidenceTypes.MaliciousJa3s, ja3s, tls.Destination, tls.Source, tls.Ja3s,
                        $"Malicious JA3s: (possible C&C server): {tls.Ja3s} to server {tls.Destination}. description: {ja3s.Description}.", Protocol.Tcp);
                    ctx.Raise(new Evidence
                    {
                        Type = e.Type, Description = e.Description, Attacker = e.Attacker, Victim = e.Victim, AttackerIoc = e.AttackerIoc,
                        ThreatLevel = e.ThreatLevel, Confidence = e.Confidence, Timestamp = e.Timestamp, Protocol = e.Protocol, Port = e.Port,
                        Uids = e.Uids, Method = e.Method, Direction = AttackerDirection.Destination,
                    });
                }

                break;
            case HttpRecord http:
                Domain(store, http, StripPort(http.Host), "HTTP host", ctx, Protocol.Tcp);
                break;
        }
    }

    public void OnFinish(DetectionContext ctx)
    {
    }

    public void EvictBefore(int window)
    {
        List<int>? old = null;
        foreach (var w in _reported.Keys)
        {
            if (w < window) (old ??= new()).Add(w);
        }

        if (old is null) return;
        foreach (var w in old) _reported.Remove(w);
    }

    private void MatchAsn(IocStore store, FlowRecord flow, DetectionContext ctx)
    {
        var ip = flow.Destination;
        if (ip.IsNone) return;
        if (!ReferenceEquals(_asnCacheStore, store) || _asnCache.Count >= MaxCachedAsns)
        {
            _asnCache.Clear();
            _asnCacheStore = store;
        }

        // One binary search per new destination, then a hash probe: O(1) amortised per flow.
        if (!_asnCache.TryGetValue(ip, out uint asn))
        {
            if (!store.AsnTable.TryLookup(ip, out asn)) asn = 0;
            _asnCache[ip] = asn;
        }

        if (asn == 0 || !store.TryMatchAsn(asn, out var info)) return;
        // Names of listed ASNs only, so the map is bounded by the IoC files; no string per flow.
        if (!_asnNames.TryGetValue(asn, out var name))
        {
            name = "AS" + asn.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _asnNames[asn] = name;
        }

        if (!First(ctx, flow.Source, EvidenceTypes.ThreatIntelligenceBlacklistedAsn, name)) return;
        var e = Make(flow, EvidenceTypes.ThreatIntelligenceBlacklistedAsn, info, flow.Source, flow.Destination, name,
            $"Connection to IP: {flow.Destination} with blacklisted ASN: {name}. Source: {info.Source}. Description: {info.Description}.",
            flow.Protocol);
        // Slips' confidence for an ASN match (the whole network is listed, not this address): 0.8.
        ctx.Raise(new Evidence
        {
            Type = e.Type, Description = e.Description, Attacker = e.Attacker, Victim = e.Victim, AttackerIoc = e.AttackerIoc,
            ThreatLevel = e.ThreatLevel, Confidence = 0.8, Timestamp = e.Timestamp, Protocol = e.Protocol, Port = e.Port,
            Uids = e.Uids, Method = e.Method,
        });
    }

    private void Domain(IocStore store, NetEvent record, string name, string what, DetectionContext ctx, Protocol protocol)
    {
        if (name.Length == 0 || !store.TryMatchDomain(name, out var info, out var matched)) return;
        if (!First(ctx, record.Source, EvidenceTypes.ThreatIntelligenceBlacklistedDomain, matched)) return;
        ctx.Raise(Make(record, EvidenceTypes.ThreatIntelligenceBlacklistedDomain, info, record.Source, record.Destination, name,
            $"connection to a blacklisted domain {name} ({what}, listed as {matched}). Source: {info.Source}. Description: {info.Description}.",
            protocol));
    }

    private static string StripPort(string host)
    {
        int colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(':') == colon ? host[..colon] : host;
    }

    private bool First(DetectionContext ctx, IpAddr profile, string type, string ioc)
    {
        if (!_reported.TryGetValue(ctx.TimeWindow, out var set))
        {
            set = new HashSet<(IpAddr, string, string)>();
            _reported[ctx.TimeWindow] = set;
        }

        if (set.Count >= MaxReportedPerWindow) set.Clear();
        return set.Add((profile, type, ioc));
    }

    private static Evidence Make(NetEvent record, string type, IocInfo info, IpAddr attacker, IpAddr victim, string ioc, string description, Protocol protocol) => new()
    {
        Type = type,
        Description = description,
        Attacker = attacker,
        Victim = victim,
        AttackerIoc = ioc,
        ThreatLevel = info.ThreatLevel,
        Confidence = 1.0,
        Timestamp = record.Timestamp,
        Protocol = protocol,
        Port = record.DestinationPort,
        Uids = record.Uid.Length > 0 ? [record.Uid] : Array.Empty<string>(),
        Method = "Threat Intelligence",
    };
}

using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Detectors.FlowAlerts;
using SlipsP2P.Detection.Profiling;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// Non-HTTP traffic on port 80 and non-TLS traffic on port 443 (Slips' conn <c>check_non_http_port_80_conns</c> and
/// <c>check_non_ssl_port_443_conns</c>): an established TCP flow with payload to port 80 (443) whose service is not
/// HTTP (TLS) and for which no HTTP (TLS) record with the same uid arrives within
/// <see cref="FlowAlertOptions.ServiceMismatchWait"/> seconds of traffic time. MEDIUM, confidence 0.8.
/// </summary>
public sealed class ServiceMismatchDetector : HeuristicDetector, IBoundedState
{
    private const int MaxPending = 100_000;

    // Hashes of the uids, not the uid strings: these sets held 92,000 strings nothing else kept (5.9 MB, issue 5).
    private readonly TwoGenerationSet _httpUids = new(65536);
    private readonly TwoGenerationSet _tlsUids = new(65536);
    private readonly Queue<FlowRecord> _pending = new();
    private readonly HashSet<(IpAddr, IpAddr, ushort)> _reported = new();

    public override string Name => "service_mismatch";

    /// <summary>Candidates dropped because too many were waiting.</summary>
    public long Dropped { get; private set; }

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(ctx);
        // Uids by their hash, packed or text alike (KeyHash.TryOfUid): no uid text is made for this. A uid the node
        // numbered comes from its own flow table, which gives the flow the service of its HTTP or TLS records ("http",
        // "ssl"): that flow never waits here, so its records need not be remembered (a capture's ~86,000 on the 2M-packet
        // generated capture; issue 5: 1.6 MB of these sets and a hash and a probe per record).
        if (record is HttpRecord or TlsRecord && !IsNumbered(record) && KeyHash.TryOfUid(record, out ulong uid))
        {
            (record is HttpRecord ? _httpUids : _tlsUids).Add(uid);
        }

        Expire(record.Timestamp, ctx);
    }

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        Expire(flow.Timestamp, ctx);
        if (flow.Protocol != Protocol.Tcp || !flow.Established || flow.DestinationPort is not (80 or 443)) return;
        if (flow.SourceBytes + flow.DestinationBytes <= 0) return;
        if (flow.DestinationPort == 80 && flow.Service.Contains("http", StringComparison.OrdinalIgnoreCase)) return;
        if (flow.DestinationPort == 443 && (flow.Service.Contains("ssl", StringComparison.OrdinalIgnoreCase)
                                            || flow.Service.Contains("tls", StringComparison.OrdinalIgnoreCase)
                                            || flow.Service.Contains("quic", StringComparison.OrdinalIgnoreCase))) return;
        if (!flow.HasUid && flow.Service.Length == 0) return;
        if (_pending.Count >= MaxPending)
        {
            Dropped++;
            return;
        }

        _pending.Enqueue(flow.Clone()); // the record's object may be reused once OnFlow returns (IDetector)
    }

    public override void OnFinish(DetectionContext ctx) => Expire(double.PositiveInfinity, ctx);

    private static bool IsNumbered(NetEvent record) => record.TryGetPackedUid(out var uid) && uid.TryGetNumber(out _);

    private void Expire(double now, DetectionContext ctx)
    {
        double wait = ctx.Options.FlowAlerts.ServiceMismatchWait;
        while (_pending.Count > 0 && _pending.Peek().Timestamp + wait < now)
        {
            var flow = _pending.Dequeue();
            bool port80 = flow.DestinationPort == 80;
            if (KeyHash.TryOfUid(flow, out ulong uid) && (port80 ? _httpUids : _tlsUids).Contains(uid)) continue;
            if (_reported.Count > 100_000) _reported.Clear();
            if (!_reported.Add((flow.Source, flow.Destination, flow.DestinationPort))) continue;
            Raise(flow, ctx, port80);
        }
    }

    // Evidence only: kept out of the per-record method so that its tier-1 code stays small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx, bool port80)
    {
        int window = ctx.Windows.Number(flow.Timestamp);
        var e = port80
            ? Make(flow, EvidenceTypes.NonHttpPort80Connection, ThreatLevel.Medium, 0.8,
                $"non-HTTP established connection to port 80. destination IP: {flow.Destination}", Protocol.Tcp)
            : Make(flow, EvidenceTypes.NonSslPort443Connection, ThreatLevel.Medium, 0.8,
                $"non-SSL established connection to port 443. destination IP: {flow.Destination}", Protocol.Tcp);
        e.TimeWindow = window;
        ctx.Raise(e);
    }
}

using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Dns;

/// <summary>
/// DNS resolution without a connection (Slips' dns <c>check_dns_without_connection</c>): an A or AAAA answer after
/// which the querying host contacts none of the answered addresses within
/// <see cref="FlowAlertOptions.DnsWithoutConnectionWait"/> seconds of traffic time. INFO, confidence 0.8. Reverse,
/// .local, wpad and single-label names are skipped, as is a name answered with no address.
/// </summary>
public sealed class DnsWithoutConnectionDetector : HeuristicDetector
{
    private const int MaxPending = 200_000;

    private readonly Queue<Pending> _pending = new();
    private readonly TwoGenerationSet<(IpAddr, IpAddr)> _contacted = new(131072);
    private readonly HashSet<(IpAddr, string)> _reported = new();

    public override string Name => "dns_without_connection";

    /// <summary>Resolutions not tracked because too many were waiting.</summary>
    public long Dropped { get; private set; }

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        _contacted.Add((flow.Source, flow.Destination));
        Expire(flow.Timestamp, ctx);
    }

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(ctx);
        Expire(record.Timestamp, ctx);
        if (record is not DnsRecord dns || dns.Answers.Count == 0 || dns.QueryType is not (1 or 28)) return;
        string q = dns.Query;
        if (q.Length == 0 || !q.Contains('.', StringComparison.Ordinal) || q.EndsWith(".arpa", StringComparison.OrdinalIgnoreCase)
            || q.EndsWith(".local", StringComparison.OrdinalIgnoreCase) || q.StartsWith("wpad", StringComparison.OrdinalIgnoreCase)
            || q.Contains("cymru", StringComparison.OrdinalIgnoreCase)) return;
        int n = Math.Min(dns.Answers.Count, 16);
        var ips = new IpAddr[n];
        int k = 0;
        for (int i = 0; i < n; i++)
        {
            if (IpAddr.TryParse(dns.Answers[i], out var ip)) ips[k++] = ip;
        }

        if (k == 0) return;
        if (_pending.Count >= MaxPending)
        {
            Dropped++;
            return;
        }

        _pending.Enqueue(new Pending(dns, k == n ? ips : ips[..k]));
    }

    public override void OnFinish(DetectionContext ctx) => Expire(double.PositiveInfinity, ctx);

    private void Expire(double now, DetectionContext ctx)
    {
        double wait = ctx.Options.FlowAlerts.DnsWithoutConnectionWait;
        while (_pending.Count > 0 && _pending.Peek().Dns.Timestamp + wait < now)
        {
            var p = _pending.Dequeue();
            bool contacted = false;
            foreach (var ip in p.Answers)
            {
                if (_contacted.Contains((p.Dns.Source, ip)))
                {
                    contacted = true;
                    break;
                }
            }

            if (contacted) continue;
            if (_reported.Count > 100_000) _reported.Clear();
            if (!_reported.Add((p.Dns.Source, p.Dns.Query))) continue;
            var e = Make(p.Dns, EvidenceTypes.DnsWithoutConnection, ThreatLevel.Info, 0.8,
                $"domain {p.Dns.Query} resolved with no connection", Protocol.Udp);
            e.TimeWindow = ctx.Windows.Number(p.Dns.Timestamp);
            ctx.Raise(e);
        }
    }

    private readonly record struct Pending(DnsRecord Dns, IpAddr[] Answers);
}

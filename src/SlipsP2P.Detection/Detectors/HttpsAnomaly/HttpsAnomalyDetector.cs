using System.Globalization;
using System.Runtime.CompilerServices;

namespace SlipsP2P.Detection.Detectors.HttpsAnomaly;

/// <summary>
/// Adaptive per-host baselines of HTTPS behaviour (Slips' anomaly_detection_https): for each source host, the log of
/// bytes and of duration of its TCP/443 flows, and its flows and bytes per hour, are learned with Welford statistics
/// for <see cref="HttpsAnomalyOptions.TrainingHours"/>; after that each observation is scored by z-score and folded in
/// with an EWMA whose weight is <see cref="HttpsAnomalyOptions.DriftAlpha"/> when it looks normal (slow drift is
/// followed) and <see cref="HttpsAnomalyOptions.SuspiciousAlpha"/> when it does not (a sudden change keeps standing
/// out). New server names and JA3 fingerprints after training are reasons too. Evidence is MALICIOUS_FLOW, LOW below
/// confidence 0.7 and MEDIUM from there, with the reasons in its description.
/// </summary>
public sealed class HttpsAnomalyDetector : IDetector, IBoundedState
{
    /// <summary>Hosts tracked at most.</summary>
    public const int MaxHosts = 65536;

    /// <summary>Anomalies kept per host for the report.</summary>
    public const int MaxAnomaliesPerHost = 500;

    private const double MinLogStdDev = 0.25;
    private const double MinCountStdDev = 1.0;

    private readonly Dictionary<IpAddr, HostBaseline> _hosts = new();

    public string Name => "https_anomaly";

    public RecordKinds HandledKinds => RecordKinds.Flow | RecordKinds.Tls;

    /// <summary>Hosts refused because <see cref="MaxHosts"/> were tracked.</summary>
    public long Dropped { get; private set; }

    /// <summary>The baselines, by host (read after or between records, never concurrently with them).</summary>
    public IReadOnlyDictionary<IpAddr, HostBaseline> Hosts => _hosts;

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (flow.Protocol != Protocol.Tcp || flow.DestinationPort != 443 || !flow.Established) return;
        var host = Host(flow.Source, flow.Timestamp);
        if (host is null) return;
        var o = ctx.Options.HttpsAnomaly;
        Hourly(host, flow.Timestamp, ctx, o, flow);
        host.HourFlows++;
        host.HourBytes += flow.TotalBytes;
        double logBytes = Math.Log(1 + Math.Max(0, flow.TotalBytes));
        double logDuration = Math.Log(1 + Math.Max(0, flow.Duration));
        if (host.InTraining(flow.Timestamp, o))
        {
            host.Bytes.AddWelford(logBytes);
            host.Duration.AddWelford(logDuration);
            return;
        }

        double zb = host.Bytes.ZScore(logBytes, MinLogStdDev);
        double zd = host.Duration.ZScore(logDuration, MinLogStdDev);
        bool bytesOff = Math.Abs(zb) > o.FlowZScoreThreshold, durationOff = Math.Abs(zd) > o.FlowZScoreThreshold;
        // Written before the baselines move, as they describe them.
        List<string>? reasons = bytesOff || durationOff ? FlowReasons(host, flow, zb, zd, bytesOff, durationOff) : null;
        double alpha = reasons is null ? o.DriftAlpha : o.SuspiciousAlpha;
        host.Bytes.AddEwma(logBytes, alpha);
        host.Duration.AddEwma(logDuration, alpha);
        if (reasons is not null) Raise(host, flow, ctx, o, reasons, Math.Max(Math.Abs(zb), Math.Abs(zd)) / o.FlowZScoreThreshold);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<string> FlowReasons(HostBaseline host, FlowRecord flow, double zb, double zd, bool bytesOff, bool durationOff)
    {
        var reasons = new List<string>(2);
        if (bytesOff) reasons.Add($"bytes {flow.TotalBytes} (z={Fmt(zb)}, baseline ~{Fmt(Math.Exp(host.Bytes.Mean) - 1)})");
        if (durationOff) reasons.Add($"duration {Fmt(flow.Duration)} s (z={Fmt(zd)}, baseline ~{Fmt(Math.Exp(host.Duration.Mean) - 1)} s)");
        return reasons;
    }

    public void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (record is not TlsRecord tls) return;
        var host = Host(tls.Source, tls.Timestamp);
        if (host is null) return;
        var o = ctx.Options.HttpsAnomaly;
        bool training = host.InTraining(tls.Timestamp, o);
        bool newName = tls.ServerName.Length > 0 && host.AddServerName(tls.ServerName) && !training;
        bool newJa3 = tls.Ja3.Length > 0 && host.AddJa3(tls.Ja3) && !training;
        // A new name alone is how browsing looks; a new client fingerprint is a new program speaking TLS. The reasons
        // are written only for an evidence.
        if (!newJa3) return;
        var reasons = new List<string>(2);
        if (newName) reasons.Add($"new server name {tls.ServerName}");
        reasons.Add($"new JA3 {tls.Ja3}");
        Raise(host, tls, ctx, o, reasons, 1.0);
    }

    public void OnFinish(DetectionContext ctx)
    {
    }

    public void EvictBefore(int window)
    {
        // Baselines outlive windows by design: they are the host's history.
    }

    private HostBaseline? Host(IpAddr ip, double ts)
    {
        if (_hosts.TryGetValue(ip, out var h)) return h;
        if (_hosts.Count >= MaxHosts)
        {
            Dropped++;
            return null;
        }

        h = new HostBaseline(ip, ts);
        _hosts[ip] = h;
        return h;
    }

    private static void Hourly(HostBaseline host, double ts, DetectionContext ctx, HttpsAnomalyOptions o, FlowRecord flow)
    {
        long hour = (long)Math.Floor(ts / 3600);
        if (host.Hour == long.MinValue) host.Hour = hour;
        if (hour == host.Hour) return;
        // Close the finished hour (idle hours in between count as zero-flow hours, at most a day of them).
        double flows = host.HourFlows, logBytes = Math.Log(1 + host.HourBytes);
        bool training = host.InTraining(ts, o) || host.HourFlowsStats.Count < 2;
        if (training)
        {
            host.HourFlowsStats.AddWelford(flows);
            host.HourBytesStats.AddWelford(logBytes);
        }
        else
        {
            double zf = host.HourFlowsStats.ZScore(flows, MinCountStdDev);
            double zb = host.HourBytesStats.ZScore(logBytes, MinLogStdDev);
            List<string>? reasons = null;
            if (zf > o.HourlyZScoreThreshold) (reasons ??= new()).Add($"{flows} HTTPS flows in hour {HourText(host.Hour)} (z={Fmt(zf)})");
            if (zb > o.HourlyZScoreThreshold) (reasons ??= new()).Add($"{host.HourBytes} bytes in hour {HourText(host.Hour)} (z={Fmt(zb)})");
            double alpha = reasons is null ? o.BaselineAlpha : o.SuspiciousAlpha;
            host.HourFlowsStats.AddEwma(flows, alpha);
            host.HourBytesStats.AddEwma(logBytes, alpha);
            if (reasons is not null) Raise(host, flow, ctx, o, reasons, Math.Max(zf, zb) / o.HourlyZScoreThreshold);
        }

        long gap = Math.Min(hour - host.Hour - 1, 24);
        for (long i = 0; i < gap && !training; i++)
        {
            host.HourFlowsStats.AddEwma(0, o.BaselineAlpha);
        }

        host.Hour = hour;
        host.HourFlows = 0;
        host.HourBytes = 0;
    }

    private static void Raise(HostBaseline host, NetEvent record, DetectionContext ctx, HttpsAnomalyOptions o, List<string> reasons, double severity)
    {
        // severity is |z| / threshold (>= 1): confidence 0.5 at the threshold, reaching 1 at three times it.
        double confidence = Math.Round(Math.Clamp(0.5 + ((severity - 1) / 4), 0.5, 1.0), 2);
        var level = confidence >= 0.7 ? ThreatLevel.Medium : ThreatLevel.Low;
        string text = $"Anomalous HTTPS behaviour of {host.Address} to {record.Destination}: {string.Join("; ", reasons)}. Confidence: {Addresses.FormatConfidence(confidence)}.";
        host.AddAnomaly(new HttpsAnomaly(record.Timestamp, record.Destination, text, confidence));
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.MaliciousFlow,
            Description = text,
            Attacker = host.Address,
            Victim = record.Destination,
            ThreatLevel = level,
            Confidence = confidence,
            Timestamp = record.Timestamp,
            Protocol = Protocol.Tcp,
            Port = 443,
            Uids = record.Uid.Length > 0 ? [record.Uid] : Array.Empty<string>(),
            Method = "Statistic",
        });
    }

    private static string HourText(long hour) =>
        DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(hour * 3600, -62135596800L, 253402300799L)).ToString("yyyy-MM-dd HH:00", CultureInfo.InvariantCulture);

    private static string Fmt(double v) => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture);
}

/// <summary>One anomaly of a host, for the report.</summary>
public sealed record HttpsAnomaly(double Timestamp, IpAddr Destination, string Description, double Confidence);

/// <summary>What the detector learned about one host.</summary>
public sealed class HostBaseline(IpAddr address, double firstSeen)
{
    private const int MaxNames = 2048;
    private const int MaxJa3 = 256;

    // Made at the first name, fingerprint or anomaly: a host seen only in conn records (a conn.log, a capture's plain
    // HTTPS flows) never needs them, and three collections per host were 3% of the detection thread's samples on a
    // 249k-line conn.log, mostly the collections they triggered (issue 5).
    private HashSet<string>? _serverNames;
    private HashSet<string>? _ja3;
    private List<HttpsAnomaly>? _anomalies;

    // The last name and fingerprint offered: a host's TLS records mostly repeat them, and a repeat is never new (the
    // sets only grow), so it is answered without hashing the text again.
    private string _lastServerName = "";
    private string _lastJa3 = "";

    internal RunningStats Bytes;
    internal RunningStats Duration;
    internal RunningStats HourFlowsStats;
    internal RunningStats HourBytesStats;

    /// <summary>Per-flow log(1 + bytes) baseline.</summary>
    public RunningStats BytesBaseline => Bytes;

    /// <summary>Per-flow log(1 + seconds) baseline.</summary>
    public RunningStats DurationBaseline => Duration;

    /// <summary>HTTPS flows per hour baseline.</summary>
    public RunningStats HourlyFlowsBaseline => HourFlowsStats;

    /// <summary>log(1 + bytes) per hour baseline.</summary>
    public RunningStats HourlyBytesBaseline => HourBytesStats;

    public IpAddr Address { get; } = address;

    public double FirstSeen { get; } = firstSeen;

    public long Hour { get; set; } = long.MinValue;

    public long HourFlows { get; set; }

    public long HourBytes { get; set; }

    public IReadOnlyCollection<string> ServerNames => (IReadOnlyCollection<string>?)_serverNames ?? [];

    public IReadOnlyCollection<string> Ja3 => (IReadOnlyCollection<string>?)_ja3 ?? [];

    public IReadOnlyList<HttpsAnomaly> Anomalies => (IReadOnlyList<HttpsAnomaly>?)_anomalies ?? [];

    /// <summary>True while the host's first baseline is still being fitted.</summary>
    public bool InTraining(double now, HttpsAnomalyOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return now - FirstSeen < o.TrainingHours * 3600 || Bytes.Count < o.MinBaselinePoints;
    }

    internal bool AddServerName(string name)
    {
        if (string.Equals(name, _lastServerName, StringComparison.OrdinalIgnoreCase)) return false;
        _lastServerName = name;
        _serverNames ??= new(StringComparer.OrdinalIgnoreCase);
        return _serverNames.Count < MaxNames && _serverNames.Add(name);
    }

    internal bool AddJa3(string ja3)
    {
        if (string.Equals(ja3, _lastJa3, StringComparison.OrdinalIgnoreCase)) return false;
        _lastJa3 = ja3;
        _ja3 ??= new(StringComparer.OrdinalIgnoreCase);
        return _ja3.Count < MaxJa3 && _ja3.Add(ja3);
    }

    internal void AddAnomaly(HttpsAnomaly a)
    {
        _anomalies ??= new();
        if (_anomalies.Count < HttpsAnomalyDetector.MaxAnomaliesPerHost) _anomalies.Add(a);
    }
}

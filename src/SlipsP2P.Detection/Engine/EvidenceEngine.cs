using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection;

/// <summary>
/// Slips' evidence handler: accumulates, per profile and time window, the weight (threat level value x confidence)
/// of the evidence whose attacker was the source of the traffic, and fires an alert when the sum reaches the
/// threshold. The alert carries the evidence that made it; the accumulator then restarts from zero, so that
/// evidence is never counted twice in a window. Disabled and whitelisted evidence is dropped before anything else.
/// </summary>
public sealed class EvidenceEngine
{
    /// <summary>Evidence kept per profile and window for the next alert (the weight of later ones still counts).</summary>
    public const int MaxPendingEvidence = 1024;

    /// <summary>Profiles tracked per window.</summary>
    public const int MaxProfilesPerWindow = 262144;

    // Sums of doubles such as 30 x 0.5 must reach 15 even when rounding leaves them a hair below.
    private const double Tolerance = 1e-9;

    private readonly AnalysisOptions _options;
    private readonly IAlertSink _sink;
    private readonly TimeWindows _windows;
    private readonly IThresholdFactor _factor;
    private readonly Whitelist? _whitelist;
    private readonly HashSet<string> _disabled;
    private readonly WindowedStore<IpAddr, Accumulator> _state = new(static () => new Accumulator(), MaxProfilesPerWindow);

    /// <summary>Creates an engine that reports to <paramref name="sink"/>.</summary>
    public EvidenceEngine(AnalysisOptions options, IAlertSink sink, TimeWindows windows, IThresholdFactor? thresholdFactor = null, Whitelist? whitelist = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(windows);
        _options = options;
        _sink = sink;
        _windows = windows;
        _factor = thresholdFactor ?? NeutralThresholdFactor.Instance;
        _whitelist = whitelist;
        _disabled = new HashSet<string>(options.DisabledDetections, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Evidence passed to the sink.</summary>
    public long EvidenceCount { get; private set; }

    /// <summary>Alerts fired.</summary>
    public long AlertCount { get; private set; }

    /// <summary>Evidence dropped because its type is disabled.</summary>
    public long DisabledCount { get; private set; }

    /// <summary>Evidence dropped by the whitelist.</summary>
    public long WhitelistedCount { get; private set; }

    /// <summary>Profiles not tracked because a window was full.</summary>
    public long Dropped => _state.Dropped;

    /// <summary>
    /// The alert threshold in force for <paramref name="profile"/> at <paramref name="timestamp"/>: the configured
    /// evidence detection threshold, per minute of window, times the window width in minutes, times the network
    /// opinion's factor. This is the one place the collaboration lowers or raises thresholds; a factor that is not
    /// a positive finite number is ignored.
    /// </summary>
    public double ThresholdFor(IpAddr profile, double timestamp)
    {
        double factor = _factor.FactorFor(profile, timestamp);
        if (!double.IsFinite(factor) || factor <= 0) factor = 1.0;
        return _options.EvidenceDetectionThreshold * _options.TimeWindowWidth / 60.0 * factor;
    }

    /// <summary>The weight accumulated (since the last alert) for a profile in a window.</summary>
    public double Accumulated(IpAddr profile, int window) => _state.Get(window, profile)?.Sum ?? 0;

    /// <summary>
    /// Handles one evidence: drops it if disabled or whitelisted, sets its window (from its timestamp when 0),
    /// passes it to the sink, and counts it towards its attacker's profile when the attacker was the source.
    /// Returns true when the evidence was passed on.
    /// </summary>
    public bool Submit(Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (_disabled.Count > 0 && _disabled.Contains(evidence.Type))
        {
            DisabledCount++;
            return false;
        }

        if (_whitelist is not null && _whitelist.IsEvidenceWhitelisted(evidence))
        {
            WhitelistedCount++;
            return false;
        }

        if (evidence.TimeWindow <= 0) evidence.TimeWindow = _windows.Number(evidence.Timestamp);
        EvidenceCount++;
        _sink.OnEvidence(evidence);

        // Slips counts only evidence about what the profile did (attacker direction SRC); evidence where the
        // attacker was the destination is shown but never alerts. INFO evidence weighs 0.
        if (evidence.Direction != AttackerDirection.Source || evidence.Attacker.IsNone) return true;
        double weight = evidence.Weight;
        if (!(weight > 0)) return true;
        var acc = _state.GetOrCreate(evidence.TimeWindow, evidence.Attacker);
        if (acc is null) return true;
        acc.Sum += weight;
        if (acc.Pending.Count < MaxPendingEvidence) acc.Pending.Add(evidence);
        double threshold = ThresholdFor(evidence.Attacker, evidence.Timestamp);
        if (acc.Sum + Tolerance < threshold) return true;

        var alert = new Alert
        {
            Profile = evidence.Attacker,
            TimeWindow = evidence.TimeWindow,
            WindowStart = _windows.Start(evidence.TimeWindow),
            WindowEnd = _windows.End(evidence.TimeWindow),
            Timestamp = evidence.Timestamp,
            AccumulatedThreatLevel = acc.Sum,
            Threshold = threshold,
            Evidence = acc.Pending.ToArray(),
        };
        acc.Sum = 0;
        acc.Pending.Clear();
        AlertCount++;
        _sink.OnAlert(alert);
        return true;
    }

    /// <summary>Drops the accumulators of every window numbered below <paramref name="window"/>.</summary>
    public int EvictBefore(int window) => _state.EvictBefore(window);

    private sealed class Accumulator
    {
        public double Sum { get; set; }

        public List<Evidence> Pending { get; } = new();
    }
}

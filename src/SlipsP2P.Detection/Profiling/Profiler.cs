using SlipsP2P.Detection.Behaviour;
using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection.Profiling;

/// <summary>
/// Profiles per IP and global time window: flow and byte counts, distinct destinations, and the behavioural letters
/// of each tuple. The profile of a flow is its source (Slips); with <see cref="AnalysisDirection.All"/> the
/// destination's profile also records the flow as inbound. A window's state is frozen into summaries when it is
/// evicted; each profile's sets and tuple tables are capped, and what the caps refuse is counted.
/// </summary>
public sealed class Profiler
{
    /// <summary>Distinct IPs kept per profile and window.</summary>
    public const int MaxDistinctIps = 65536;

    /// <summary>Tuples kept per profile and window.</summary>
    public const int MaxTuplesPerProfile = 4096;

    /// <summary>Profiles kept per window.</summary>
    public const int MaxProfilesPerWindow = 262144;

    /// <summary>Distinct profiles remembered over the run (for the count).</summary>
    public const int MaxProfilesCounted = 1 << 20;

    /// <summary>Frozen summaries kept after their window was evicted.</summary>
    public const int MaxFrozenProfiles = 1 << 18;

    /// <summary>Frozen tuples kept after their window was evicted.</summary>
    public const int MaxFrozenTuples = 1 << 18;

    private readonly AnalysisOptions _options;
    private readonly TimeWindows _windows;
    private readonly WindowedStore<IpAddr, ProfileWindow> _live = new(static () => new ProfileWindow(), MaxProfilesPerWindow);
    private readonly BoundedSet<IpAddr> _profiles = new(MaxProfilesCounted);
    private readonly List<ProfileSummary> _frozenProfiles = new();
    private readonly List<TupleSummary> _frozenTuples = new();
    private long _frozenDropped;

    // The last source counted as a profile (consecutive flows mostly share their source): counted again it would be
    // Present, so the set is not probed. Only a value the set holds is remembered, so refusals are still counted.
    private IpAddr _lastCounted;

    /// <summary>Creates a profiler over <paramref name="windows"/>.</summary>
    public Profiler(AnalysisOptions options, TimeWindows windows)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(windows);
        _options = options;
        _windows = windows;
    }

    /// <summary>
    /// Whether evicted windows leave their summaries for <see cref="Profiles"/> and <see cref="Tuples"/> (on by default).
    /// Off, memory no longer grows with the input's length (the frozen tuples with their letters were most of the
    /// growth); turn it off when nothing reads past windows.
    /// </summary>
    public bool KeepFrozenSummaries { get; set; } = true;

    /// <summary>
    /// Whether per-window profile counters, distinct destinations and tuple letters are built at all (on by default).
    /// Off, only the profiles are counted: <see cref="Profiles"/> and <see cref="Tuples"/> stay empty, and the
    /// per-tuple state (most of the profiler's memory on a busy network) is never made.
    /// </summary>
    public bool BuildSummaries { get; set; } = true;

    /// <summary>Distinct profiles seen (an IP seen as a flow source, or as a destination with direction All).</summary>
    public long ProfileCount => _profiles.Count + _profiles.Dropped;

    /// <summary>Values, tuples and profiles refused by the caps, and summaries not kept after eviction.</summary>
    public long Dropped
    {
        get
        {
            long d = _live.Dropped + _frozenDropped + _profiles.Dropped;
            foreach (var (_, _, p) in _live.All()) d += p.Dropped;
            return d;
        }
    }

    /// <summary>Adds a flow in window <paramref name="window"/>.</summary>
    public void OnFlow(FlowRecord flow, int window)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (!BuildSummaries)
        {
            if (!flow.Source.IsNone && flow.Source != _lastCounted && _profiles.Add(flow.Source) != BoundedAdd.Dropped) _lastCounted = flow.Source;
            if (_options.AnalysisDirection == AnalysisDirection.All && !flow.Destination.IsNone && !flow.Destination.IsSpecial) _profiles.Add(flow.Destination);
            return;
        }

        if (!flow.Source.IsNone)
        {
            _profiles.Add(flow.Source);
            var p = _live.GetOrCreate(window, flow.Source);
            if (p is not null)
            {
                p.Flows++;
                p.Bytes += flow.TotalBytes;
                if (p.DestinationIps.Add(flow.Destination) == BoundedAdd.Dropped) p.Dropped++;
                p.DestinationPorts.Add(flow.DestinationPort);
                AddLetter(p, TupleDirection.Out, flow.Destination, flow);
            }
        }

        if (_options.AnalysisDirection == AnalysisDirection.All && !flow.Destination.IsNone && !flow.Destination.IsSpecial)
        {
            _profiles.Add(flow.Destination);
            var q = _live.GetOrCreate(window, flow.Destination);
            if (q is not null)
            {
                q.InboundFlows++;
                q.InboundBytes += flow.TotalBytes;
                q.SourceIps ??= new BoundedSet<IpAddr>(MaxDistinctIps);
                if (q.SourceIps.Add(flow.Source) == BoundedAdd.Dropped) q.Dropped++;
                AddLetter(q, TupleDirection.In, flow.Source, flow);
            }
        }
    }

    /// <summary>Freezes and drops the state of every window numbered below <paramref name="window"/>.</summary>
    public int EvictBefore(int window)
    {
        bool any = false;
        foreach (var (w, ip, p) in _live.All())
        {
            if (w >= window) continue;
            any = true;
            if (!KeepFrozenSummaries) continue;
            if (_frozenProfiles.Count < MaxFrozenProfiles) _frozenProfiles.Add(Summarize(w, ip, p));
            else _frozenDropped++;
            foreach (var (key, letters) in p.Tuples)
            {
                if (_frozenTuples.Count < MaxFrozenTuples) _frozenTuples.Add(Summarize(w, ip, key, letters));
                else _frozenDropped++;
            }
        }

        return any ? _live.EvictBefore(window) : 0;
    }

    /// <summary>Every profile and window seen, ordered by window then profile.</summary>
    public IEnumerable<ProfileSummary> Profiles
    {
        get
        {
            var all = new List<ProfileSummary>(_frozenProfiles);
            foreach (var (w, ip, p) in _live.All()) all.Add(Summarize(w, ip, p));
            all.Sort(static (a, b) => a.TimeWindow != b.TimeWindow ? a.TimeWindow.CompareTo(b.TimeWindow) : a.Profile.CompareTo(b.Profile));
            return all;
        }
    }

    /// <summary>Every tuple with its letters, ordered by window, profile, direction, address, port.</summary>
    public IEnumerable<TupleSummary> Tuples
    {
        get
        {
            var all = new List<TupleSummary>(_frozenTuples);
            foreach (var (w, ip, p) in _live.All())
            {
                foreach (var (key, letters) in p.Tuples) all.Add(Summarize(w, ip, key, letters));
            }

            all.Sort(static (a, b) =>
            {
                int c = a.TimeWindow.CompareTo(b.TimeWindow);
                if (c == 0) c = a.Profile.CompareTo(b.Profile);
                if (c == 0) c = a.Direction.CompareTo(b.Direction);
                if (c == 0) c = a.Address.CompareTo(b.Address);
                if (c == 0) c = a.Port.CompareTo(b.Port);
                if (c == 0) c = a.Protocol.CompareTo(b.Protocol);
                return c;
            });
            return all;
        }
    }

    private static void AddLetter(ProfileWindow p, TupleDirection direction, IpAddr other, FlowRecord flow)
    {
        var key = new TupleKey(direction, other, flow.DestinationPort, flow.Protocol);
        if (!p.Tuples.TryGetValue(key, out var letters))
        {
            if (p.Tuples.Count >= MaxTuplesPerProfile)
            {
                p.Dropped++;
                return;
            }

            letters = new TupleLetters();
            p.Tuples[key] = letters;
        }

        letters.Add(flow.Timestamp, flow.Duration, flow.TotalBytes);
    }

    private ProfileSummary Summarize(int window, IpAddr ip, ProfileWindow p) =>
        new(ip, window, _windows.Start(window), _windows.End(window), p.Flows, p.Bytes, p.DestinationIps.Count,
            p.DestinationPorts.Count, p.InboundFlows, p.InboundBytes, p.SourceIps?.Count ?? 0,
            p.Dropped);

    private static TupleSummary Summarize(int window, IpAddr ip, TupleKey key, TupleLetters letters) =>
        new(ip, window, key.Direction, key.Address, key.Port, key.Protocol, letters.Letters, letters.Flows, letters.Truncated);

    private readonly record struct TupleKey(TupleDirection Direction, IpAddr Address, ushort Port, Protocol Protocol);

    private sealed class ProfileWindow
    {
        public long Flows { get; set; }

        public long Bytes { get; set; }

        public long InboundFlows { get; set; }

        public long InboundBytes { get; set; }

        public BoundedSet<IpAddr> DestinationIps { get; } = new(MaxDistinctIps);

        public HashSet<ushort> DestinationPorts { get; } = new();

        public BoundedSet<IpAddr>? SourceIps { get; set; }

        public Dictionary<TupleKey, TupleLetters> Tuples { get; } = new();

        public long Dropped { get; set; }
    }
}

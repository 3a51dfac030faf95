using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Profiling;

namespace SlipsP2P.Detection.Detectors.Periodicity;

/// <summary>
/// Beaconing without a model: per tuple (source, destination, destination port, protocol) and time window, the gaps
/// between connection starts are kept in a ring of the last <see cref="MaxGaps"/>. Once the tuple has
/// <see cref="DetectorOptions.PeriodicityMinConnections"/> connections, the median gap is the candidate period; the
/// tuple is periodic when at least <see cref="DetectorOptions.PeriodicityMinFraction"/> of the recent gaps lie within
/// <see cref="DetectorOptions.PeriodicityTolerance"/> of it (a median and a share are robust to jitter and to the odd
/// retry), and the period is at least <see cref="DetectorOptions.PeriodicityMinPeriod"/> (shorter is a burst).
/// Raises COMMAND_AND_CONTROL_CHANNEL (Slips has no dedicated beaconing evidence: its periodicity reaches C&amp;C through
/// the behavioural letters), MEDIUM, at the first periodic count and again each time the count doubles.
/// Cost: O(1) amortised per flow; the check sorts at most <see cref="MaxGaps"/> gaps on the stack, a bounded constant,
/// and runs only while the tuple is unreported or at a doubling.
/// </summary>
public sealed class PeriodicityDetector : IDetector, IBoundedState, IFlowPrefetch
{
    /// <summary>Gaps kept per tuple (the most recent ones).</summary>
    public const int MaxGaps = 32;

    /// <summary>Tuples tracked at once; later new tuples are counted in <see cref="Dropped"/>.</summary>
    public const int MaxTuples = 262144;

    // Most tuples see one connection: its time and uid live in the entry, and the gap ring is made at the second.
    // IPv4 tuples are keyed by their 12-byte packed key, the others by the general one (issue 5 fast path: one key
    // built and hashed per flow, in flat maps compiled ahead of time).
    private readonly FlatMap<TupleKey, Entry, TupleKeyOps> _tuples = new();
    private readonly FlatMap<V4TupleKey, Entry, V4TupleKeyOps> _v4Tuples = new();

    // The first connection of an IPv4 tuple with a packable uid waits here (an entry above and the uid string cost ~140
    // bytes; issue 5: 98,000 such tuples on the 2M-packet generated capture); the second moves it up. A uid the node
    // made (numbered, PackedUid.FromNumber) is kept as its number: 28 bytes an entry, where a Zeek uid takes 36.
    private readonly FirstConnections _firsts = new();

    // The analysis's windows (from the first flow on): a first connection's window is the one of its time.
    private TimeWindows? _windows;

    public string Name => "periodicity";

    public RecordKinds HandledKinds => RecordKinds.Flow;

    /// <summary>IPv4 tuples whose only connection so far waits in the compact table (for tests and statistics).</summary>
    internal int WaitingFirstConnections => _firsts.Count;

    /// <summary>New tuples refused by <see cref="MaxTuples"/>.</summary>
    public long Dropped { get; private set; }

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (flow.Protocol is not (Protocol.Tcp or Protocol.Udp)) return;
        if (flow.Source.IsNone || !Addresses.IsScanTarget(flow.Destination)) return;
        if (ctx.Detectors.PeriodicityIgnorePorts.Contains(flow.DestinationPort)) return;
        TupleState? state = PackedKeys.TryTuple(flow.Source, flow.Destination, flow.DestinationPort, flow.Protocol, out var smallKey)
            ? Track(_v4Tuples, smallKey, flow, ctx, true, smallKey)
            : Track(_tuples, new TupleKey(flow.Source, flow.Destination, flow.DestinationPort, flow.Protocol), flow, ctx, false, default);
        if (state is null) return;
        if (!state.Add(flow.Timestamp)) return;
        state.AddUid(flow);

        var o = ctx.Detectors;
        long n = state.Connections;
        if (n < o.PeriodicityMinConnections || n < state.NextReportAt) return;
        if (!Judge(state, o, out double period, out double fraction)) return;

        state.NextReportAt = n * 2;
        Raise(flow, ctx, state, n, period, fraction);
    }

    public void Prefetch(FlowRecord flow, int window)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Protocol is not (Protocol.Tcp or Protocol.Udp)) return;
        if (!PackedKeys.TryTuple(flow.Source, flow.Destination, flow.DestinationPort, flow.Protocol, out var key)) return;
        _v4Tuples.Prefetch(key);
        _firsts.Prefetch(key);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx, TupleState state, long n, double period, double fraction)
    {
        var o = ctx.Detectors;
        double confidence = Math.Round(fraction * Math.Min(1.0, n / (double)MaxGaps), 2);
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.CommandAndControlChannel,
            Description = string.Create(CultureInfo.InvariantCulture,
                $"Periodic connections (possible C&C beaconing) from {flow.Source} to {flow.Destination} port {flow.DestinationPort}/{flow.Protocol.ToName()}: " +
                $"{n} connections, period {period:0.##} s, {fraction * 100:0}% of the last {state.GapCount} gaps within {o.PeriodicityTolerance * 100:0}%. " +
                $"Confidence: {Addresses.FormatConfidence(confidence)}."),
            Attacker = flow.Source,
            Victim = flow.Destination,
            ThreatLevel = ThreatLevel.Medium,
            Confidence = confidence,
            Timestamp = flow.Timestamp,
            Protocol = flow.Protocol,
            Port = flow.DestinationPort,
            Method = "Statistic",
            Uids = state.UidSnapshot(),
        });
    }

    /// <summary>
    /// The tuple's state once it has a second connection in the window (null while it has one, or when refused): its
    /// entry in <paramref name="tuples"/>, or for a <paramref name="small"/> (IPv4) tuple first its waiting connection in
    /// <see cref="_firsts"/>.
    /// </summary>
    private TupleState? Track<TKey, TOps>(FlatMap<TKey, Entry, TOps> tuples, scoped in TKey key, FlowRecord flow, DetectionContext ctx, bool small, V4TupleKey smallKey)
        where TKey : struct
        where TOps : struct, IFlatKey<TKey>
    {
        ref var entry = ref tuples.GetValueRefOrNullRef(key);
        TupleState? state;
        if (Unsafe.IsNullRef(ref entry))
        {
            _windows ??= ctx.Windows;
            bool waiting = _firsts.TryGet(small, smallKey, out double firstTime, out PackedUid firstUid);
            if (!waiting || ctx.Windows.Number(firstTime) != ctx.TimeWindow)
            {
                // The tuple's first connection in this window.
                if (!waiting && _tuples.Count + _v4Tuples.Count + _firsts.Count >= MaxTuples)
                {
                    Dropped++;
                    return null;
                }

                if (small && flow.TryGetPackedUid(out var uid))
                {
                    _firsts.Set(smallKey, flow.Timestamp, uid);
                    return null;
                }

                if (waiting) _firsts.Remove(smallKey);
                tuples.Set(key, new Entry { Window = ctx.TimeWindow, First = flow.Timestamp, FirstUid = flow.Uid });
                return null;
            }

            state = NewState(ctx.TimeWindow, firstTime, null, firstUid);
            _firsts.Remove(smallKey);
            tuples.Set(key, new Entry { Window = ctx.TimeWindow, FirstUid = "", State = state });
            return state;
        }

        if (entry.State is null && entry.Window != ctx.TimeWindow)
        {
            entry.Window = ctx.TimeWindow;
            entry.First = flow.Timestamp;
            entry.FirstUid = flow.Uid;
            return null;
        }

        state = entry.State;
        if (state is null)
        {
            state = NewState(ctx.TimeWindow, entry.First, entry.FirstUid, default);
            entry.State = state;
            entry.FirstUid = "";
        }

        if (state.Window != ctx.TimeWindow) state.Reset(ctx.TimeWindow);
        entry.Window = ctx.TimeWindow;
        return state;
    }

    /// <summary>The median of the recent gaps and the share of them within the tolerance; true when periodic.</summary>
    internal static bool Judge(TupleState state, DetectorOptions o, out double period, out double fraction)
    {
        // The state keeps its gaps sorted as they come, so no sort is needed here (this runs for every flow of a busy,
        // not periodic tuple).
        ReadOnlySpan<double> gaps = state.SortedGaps();
        int count = gaps.Length;
        period = count % 2 == 1 ? gaps[count / 2] : (gaps[(count / 2) - 1] + gaps[count / 2]) / 2;
        fraction = 0;
        if (count == 0 || !(period >= o.PeriodicityMinPeriod) || period <= 0) return false;
        double tolerance = period * o.PeriodicityTolerance;
        int within = 0;
        foreach (double g in gaps)
        {
            if (Math.Abs(g - period) <= tolerance) within++;
        }

        fraction = within / (double)count;
        return fraction >= o.PeriodicityMinFraction;
    }

    public void OnRecord(NetEvent record, DetectionContext ctx)
    {
    }

    public void OnFinish(DetectionContext ctx)
    {
    }

    public void EvictBefore(int window)
    {
        _tuples.RemoveWhere(static (_, entry, before) => entry.Window < before, window);
        _v4Tuples.RemoveWhere(static (_, entry, before) => entry.Window < before, window);
        if (_windows is not null) _firsts.EvictBefore(_windows, window);
    }

    /// <summary>A tuple's state at its second connection: the first one's time and uid, then the second is added.</summary>
    /// <remarks>The first uid is <paramref name="firstText"/> when given, else <paramref name="firstPacked"/> (no text made).</remarks>
    private static TupleState NewState(int window, double first, string? firstText, PackedUid firstPacked)
    {
        var state = new TupleState();
        state.Reset(window);
        state.Add(first);
        if (firstText is not null) state.AddUid(firstText);
        else state.AddUid(firstPacked);
        return state;
    }

    /// <summary>
    /// The only connection so far of each IPv4 tuple in its window (the window of its time, not kept), in one of two
    /// tables: under a uid the node made, its number (<see cref="PackedUid.TryGetNumber"/>; every flow of a capture or
    /// live traffic), else the packed uid (a Zeek log's). A tuple is in at most one of them.
    /// </summary>
    private sealed class FirstConnections
    {
        private readonly FlatMap<V4TupleKey, NumberedFirst, V4TupleKeyOps> _numbered = new();
        private readonly FlatMap<V4TupleKey, PackedFirst, V4TupleKeyOps> _packed = new();

        public int Count => _numbered.Count + _packed.Count;

        public void Prefetch(in V4TupleKey key)
        {
            _numbered.Prefetch(key);
            if (_packed.Count > 0) _packed.Prefetch(key);
        }

        /// <summary>The waiting first connection of <paramref name="key"/>; false when none (or not <paramref name="small"/>).</summary>
        public bool TryGet(bool small, in V4TupleKey key, out double time, out PackedUid uid)
        {
            if (small)
            {
                if (_numbered.TryGetValue(key, out var numbered))
                {
                    time = numbered.Time;
                    uid = PackedUid.FromNumber(numbered.Number);
                    return true;
                }

                if (_packed.Count > 0 && _packed.TryGetValue(key, out var packed))
                {
                    time = packed.Time;
                    uid = packed.Uid;
                    return true;
                }
            }

            time = 0;
            uid = default;
            return false;
        }

        /// <summary>Makes (<paramref name="time"/>, <paramref name="uid"/>) the waiting connection of <paramref name="key"/>.</summary>
        public void Set(in V4TupleKey key, double time, PackedUid uid)
        {
            if (uid.TryGetNumber(out ulong number))
            {
                if (_packed.Count > 0) _packed.Remove(key);
                _numbered.Set(key, new NumberedFirst(time, number));
            }
            else
            {
                _numbered.Remove(key);
                _packed.Set(key, new PackedFirst(time, uid));
            }
        }

        public void Remove(in V4TupleKey key)
        {
            if (!_numbered.Remove(key) && _packed.Count > 0) _packed.Remove(key);
        }

        /// <summary>Drops the connections of windows before <paramref name="window"/>.</summary>
        public void EvictBefore(TimeWindows windows, int window)
        {
            _numbered.RemoveWhere(static (_, first, arg) => arg.Windows.Number(first.Time) < arg.Before, (Windows: windows, Before: window));
            _packed.RemoveWhere(static (_, first, arg) => arg.Windows.Number(first.Time) < arg.Before, (Windows: windows, Before: window));
        }
    }

    /// <summary>
    /// A waiting connection under a numbered uid: 16 bytes, packed like <see cref="V4TupleKey"/> so that an entry takes 28
    /// (36 with the packed uid, 40 with the window too; issue 5: 98,053 entries in 131,072 slots on the 2M-packet capture).
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct NumberedFirst(double Time, ulong Number);

    /// <summary>A waiting connection under another uid that packs: 24 bytes, 36 an entry.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct PackedFirst(double Time, PackedUid Uid);

    /// <summary>A tuple's entry: its first connection until a second one makes the full state.</summary>
    private struct Entry : IWindowedState
    {
        public int Window { get; set; }

        public double First;

        public string FirstUid;

        public TupleState? State;
    }

    /// <summary>
    /// One tuple in one window: connection count, last start, and a ring of recent gaps. Most tuples see one connection,
    /// so the ring and the uid list are made at the second.
    /// </summary>
    internal sealed class TupleState : IWindowedState
    {
        private double[]? _gaps;
        private double[]? _sorted;
        private int _next;
        private double _last = double.NaN;
        // The first uids, packed (no reference to the flows' uid strings, which then die young).
        private readonly UidList _uids = new();

        public int Window { get; private set; } = -1;

        public long Connections { get; private set; }

        public int GapCount { get; private set; }

        public long NextReportAt { get; set; }

        public void Reset(int window)
        {
            Window = window;
            Connections = 0;
            GapCount = 0;
            NextReportAt = 0;
            _next = 0;
            _last = double.NaN;
            _uids.Clear();
        }

        /// <summary>Adds a connection start; false (and nothing counted) when it is older than the last one.</summary>
        public bool Add(double timestamp)
        {
            if (!double.IsNaN(_last))
            {
                double gap = timestamp - _last;
                if (gap < 0) return false;
                // The ring starts at 4 gaps and doubles up to MaxGaps (no wrap happens before it is full): most tuples
                // with a second connection see a handful, and 32 doubles each were 0.85 MB on the 2M-packet capture.
                if (_gaps is null) _gaps = new double[4];
                else if (_next == _gaps.Length && _gaps.Length < MaxGaps) Array.Resize(ref _gaps, Math.Min(MaxGaps, _gaps.Length * 2));
                if (_sorted is not null)
                {
                    if (GapCount == MaxGaps) RemoveSorted(_gaps[_next]);
                    InsertSorted(gap);
                }

                _gaps[_next] = gap;
                _next = (_next + 1) % MaxGaps;
                if (GapCount < MaxGaps) GapCount++;
            }

            _last = timestamp;
            Connections++;
            return true;
        }

        /// <summary>Remembers a flow uid (at most <see cref="Evidence.MaxUids"/>, the first ones).</summary>
        public void AddUid(string uid)
        {
            // The list drops its oldest past the cap; the first ones are kept here, so nothing is added once full.
            if (_uids.Count < Evidence.MaxUids) _uids.Add(uid);
        }

        /// <summary>Remembers a packed uid, as <see cref="AddUid(string)"/> (the empty uid is ignored).</summary>
        public void AddUid(PackedUid uid)
        {
            if (_uids.Count < Evidence.MaxUids) _uids.Add(null, uid);
        }

        /// <summary>Remembers <paramref name="flow"/>'s uid, as <see cref="AddUid(string)"/>, packed when it packs.</summary>
        public void AddUid(FlowRecord flow)
        {
            if (_uids.Count < Evidence.MaxUids) _uids.AddUidOf(flow);
        }

        /// <summary>The uids for an evidence.</summary>
        public IReadOnlyList<string> UidSnapshot() => _uids.Snapshot();

        /// <summary>
        /// The gaps in the ring, in ascending order. The sorted copy is made (one sort) the first time it is asked for,
        /// which only tuples with enough connections to be judged reach, and kept up to date from then on.
        /// </summary>
        public ReadOnlySpan<double> SortedGaps()
        {
            if (_sorted is null)
            {
                if (_gaps is null) return default;
                _sorted = new double[MaxGaps];
                _gaps.AsSpan(0, GapCount).CopyTo(_sorted);
                _sorted.AsSpan(0, GapCount).Sort();
            }

            return _sorted.AsSpan(0, GapCount);
        }

        private void InsertSorted(double gap)
        {
            // GapCount gaps are in _sorted (one fewer when a full ring just removed its oldest).
            int n = GapCount == MaxGaps ? MaxGaps - 1 : GapCount;
            var sorted = _sorted!.AsSpan(0, n + 1);
            int at = sorted[..n].BinarySearch(gap);
            if (at < 0) at = ~at;
            sorted[at..n].CopyTo(sorted[(at + 1)..]);
            sorted[at] = gap;
        }

        private void RemoveSorted(double gap)
        {
            var sorted = _sorted!.AsSpan(0, MaxGaps);
            int at = sorted.BinarySearch(gap);
            if (at < 0) return; // cannot happen: every gap in the ring is in the sorted copy
            sorted[(at + 1)..].CopyTo(sorted[at..]);
        }
    }
}

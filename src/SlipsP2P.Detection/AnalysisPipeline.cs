using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors;
using SlipsP2P.Detection.Detectors.FlowAlerts;
using SlipsP2P.Detection.Detectors.FlowMl;
using SlipsP2P.Detection.Detectors.IcmpSweep;
using SlipsP2P.Detection.Detectors.LongConnection;
using SlipsP2P.Detection.Detectors.MarkovModels;
using SlipsP2P.Detection.Detectors.Periodicity;
using SlipsP2P.Detection.Detectors.PortScans;
using SlipsP2P.Detection.Detectors.SshBruteForce;
using SlipsP2P.Detection.Profiling;

namespace SlipsP2P.Detection;

/// <summary>
/// The detection pipeline for one input, in input order: whitelist, global time windows, profiles and behavioural
/// letters, detectors, then the evidence engine, which reports evidence and alerts to the <see cref="IAlertSink"/>.
/// Not thread-safe: one pipeline per worker, fed by one thread. State of a window is dropped two windows after it
/// closes, so memory stays bounded on long inputs.
/// </summary>
public sealed class AnalysisPipeline : IEventSink
{
    /// <summary>Detector failure messages kept.</summary>
    public const int MaxErrorMessages = 20;

    /// <summary>Resolved IPs remembered per generation (two generations are kept).</summary>
    public const int MaxResolvedPerGeneration = 65536;

    private readonly AnalysisOptions _options;
    private readonly bool _detect;
    private readonly Whitelist _whitelist;
    private readonly Profiler _profiler;
    private readonly IDetector[] _detectors;
    private IDetector[][] _byKind;
    private IFlowPrefetch[] _flowPrefetch;
    private RecordKinds _inputKinds = RecordKinds.All;
    private readonly DetectionContext _context;
    private readonly PipelineStats _stats = new();
    private readonly List<string> _errors = new();
    // Two generations: the older half of what was learned is forgotten, in O(1) per record.
    private readonly TwoGenerationSet<IpAddr, AddressKey> _resolved = new(MaxResolvedPerGeneration);
    private int _currentWindow;
    private bool _finished;

    /// <summary>Creates a pipeline with the built-in detectors.</summary>
    /// <param name="options">Analysis options; validated here.</param>
    /// <param name="sink">Receives evidence and alerts.</param>
    /// <param name="thresholdFactor">The network opinion's per-profile factor on the alert threshold; null for none.</param>
    /// <param name="whitelist">The local whitelist; null for none.</param>
    /// <param name="detect">False to build profiles and tuples only, with no detection.</param>
    public AnalysisPipeline(AnalysisOptions options, IAlertSink sink, IThresholdFactor? thresholdFactor = null, Whitelist? whitelist = null, bool detect = true)
        : this(options, sink, DefaultDetectors(options), thresholdFactor, whitelist, detect)
    {
    }

    /// <summary>Creates a pipeline with the given detectors.</summary>
    public AnalysisPipeline(AnalysisOptions options, IAlertSink sink, IEnumerable<IDetector> detectors, IThresholdFactor? thresholdFactor = null, Whitelist? whitelist = null, bool detect = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(detectors);
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid analysis options: " + string.Join("; ", problems), nameof(options));
        _options = options;
        _detect = detect;
        _whitelist = whitelist ?? Whitelist.Empty;
        Windows = new TimeWindows(options.TimeWindowWidth);
        _profiler = new Profiler(options, Windows);
        Engine = new EvidenceEngine(options, sink, Windows, thresholdFactor, _whitelist);
        _detectors = detectors.ToArray();
        _byKind = ByKind(_detectors, RecordKinds.All);
        _flowPrefetch = FlowPrefetchers(_byKind);
        _context = new DetectionContext(options, Windows, RaiseEvidence, WasResolved);
    }

    /// <summary>The built-in detectors, in the order they run.</summary>
    public static IReadOnlyList<IDetector> DefaultDetectors(AnalysisOptions options) => DefaultDetectors(options, null);

    /// <summary>
    /// The built-in detectors, in the order they run; what their files lack (a ports list or a threat-intelligence file
    /// not found or unreadable, which turns that check off) goes to <paramref name="warnings"/>.
    /// </summary>
    public static IReadOnlyList<IDetector> DefaultDetectors(AnalysisOptions options, IList<string>? warnings)
    {
        ArgumentNullException.ThrowIfNull(options);
        // One line per detector; a detector that needs files (models, feeds) reads them from its options here.
        var detectors = new List<IDetector>
        {
            new PortScanDetector(),
            new IcmpSweepDetector(),
            new SshBruteForceDetector(),
            new LongConnectionDetector(),
            new PeriodicityDetector(),
        };
        detectors.AddRange(SlipsP2P.Detection.Detectors.FlowAlerts.CatalogueDetectors.Create(options, warnings));
        detectors.Add(new SlipsP2P.Detection.Detectors.Smtp.SmtpLoginDetector());
        detectors.Add(new SlipsP2P.Detection.Detectors.Login.LoginDetector());
        if (options.Detectors.MarkovModelsDirectory.Length > 0) detectors.Add(MarkovDetector.FromDirectory(options.Detectors.MarkovModelsDirectory));
        if (options.Detectors.FlowMlModelPath.Length > 0) detectors.Add(new FlowMlDetector(FlowClassifierModel.Load(options.Detectors.FlowMlModelPath)));
        return detectors;
    }

    /// <summary>The global time windows (origin fixed by the first record).</summary>
    public TimeWindows Windows { get; }

    /// <summary>The evidence engine (threshold arithmetic and accumulators).</summary>
    public EvidenceEngine Engine { get; }

    /// <summary>The whitelist in use (empty when none was given).</summary>
    public Whitelist Whitelist => _whitelist;

    /// <summary>The detectors in use.</summary>
    public IReadOnlyList<IDetector> Detectors => _detectors;

    /// <summary>Messages about detector failures (the first <see cref="MaxErrorMessages"/>); analysis goes on after one.</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>
    /// Whether <see cref="Profiles"/> and <see cref="Tuples"/> keep the windows already evicted (on by default). Off,
    /// memory is bounded by the traffic's state instead of growing with the input's length.
    /// </summary>
    public bool KeepSummaries
    {
        get => _profiler.KeepFrozenSummaries;
        set => _profiler.KeepFrozenSummaries = value;
    }

    /// <summary>
    /// Whether per-window profile summaries and tuple letters are built for <see cref="Profiles"/> and
    /// <see cref="Tuples"/> (on by default). Off, profiles are only counted: detection does not need them, and the
    /// per-tuple letters are most of what a long input's memory grows with.
    /// </summary>
    public bool BuildSummaries
    {
        get => _profiler.BuildSummaries;
        set => _profiler.BuildSummaries = value;
    }

    /// <summary>
    /// The records the input can produce (<see cref="RecordKinds.All"/> by default). A detector whose
    /// <see cref="IDetector.NeededKinds"/> the input can never produce is left out of the dispatch: it could raise
    /// nothing (the DNS checks on an Argus binetflow), and its per-flow work was a fifth of detection there. Set before
    /// the first record, and only to what the input is sure to keep to: a left-out detector sees no record at all.
    /// </summary>
    public RecordKinds InputKinds
    {
        get => _inputKinds;
        set
        {
            if (_stats.Records > 0) throw new InvalidOperationException("the input's record kinds are set before the first record");
            _inputKinds = value;
            _byKind = ByKind(_detectors, value);
            _flowPrefetch = FlowPrefetchers(_byKind);
        }
    }

    /// <summary>Counters so far.</summary>
    public PipelineStats Stats
    {
        get
        {
            _stats.Profiles = _profiler.ProfileCount;
            _stats.Evidence = Engine.EvidenceCount;
            _stats.Alerts = Engine.AlertCount;
            _stats.WhitelistedEvidence = Engine.WhitelistedCount;
            _stats.DisabledEvidence = Engine.DisabledCount;
            long dropped = _profiler.Dropped + Engine.Dropped + _whitelist.LearnedDropped;
            foreach (var d in _detectors)
            {
                if (d is IBoundedState b) dropped += b.Dropped;
            }

            _stats.Dropped = dropped;
            return _stats;
        }
    }

    /// <summary>Per profile and window: flows, bytes, distinct destination IPs and ports (for <c>-D</c>).</summary>
    public IEnumerable<ProfileSummary> Profiles => _profiler.Profiles;

    /// <summary>Per tuple and window: the behavioural letters (for <c>-p</c>).</summary>
    public IEnumerable<TupleSummary> Tuples => _profiler.Tuples;

    /// <summary>Handles one record.</summary>
    public void OnEvent(NetEvent record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_finished) throw new InvalidOperationException("the pipeline has finished; create a new one for new input");
        _stats.Records++;
        if (!double.IsFinite(record.Timestamp))
        {
            _stats.Skipped++;
            return;
        }

        _context.NextRecord();
        _whitelist.Learn(record);
        if (record is DnsRecord dns) LearnResolved(dns);
        if (_whitelist.IsRecordWhitelisted(record))
        {
            if (record is FlowRecord) _stats.WhitelistedFlows++;
            else _stats.WhitelistedRecords++;
            return;
        }

        int window = Windows.Number(record.Timestamp);
        if (window > _currentWindow) Advance(window);
        var flow = record as FlowRecord;
        if (flow is not null)
        {
            _stats.Flows++;
            _profiler.OnFlow(flow, window);
        }

        if (!_detect) return;
        _context.TimeWindow = window;
        // Only the detectors that handle this kind of record: the others would return at once.
        foreach (var detector in _byKind[flow is not null ? 0 : RecordKind.IndexOf(record)])
        {
            try
            {
                if (flow is not null) detector.OnFlow(flow, _context);
                else detector.OnRecord(record, _context);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fail(detector, record, ex);
            }
        }
    }

    /// <summary>
    /// False: no flow record is read after <see cref="OnEvent"/> returns (the profiler and the whitelist take values;
    /// a detector keeps a clone, <see cref="IDetector.OnFlow"/>), so a producer may reuse the object.
    /// </summary>
    public bool KeepsRecords => false;

    /// <summary>
    /// A flow comes a few records from now: the detectors with large per-flow tables (and the pipeline's own set of
    /// resolved addresses) start loading what it will read, so that those cache misses overlap the records in
    /// between (issue 5). Changes nothing: before the first record, when no window is known, it does nothing.
    /// </summary>
    public void Prefetch(NetEvent record)
    {
        if (!_detect || record is not FlowRecord flow || double.IsNaN(Windows.Origin) || _finished) return;
        if (flow.Protocol == Protocol.Tcp) _resolved.Prefetch(flow.Destination);
        int window = Windows.Number(flow.Timestamp);
        foreach (IFlowPrefetch detector in _flowPrefetch) detector.Prefetch(flow, window);
    }

    /// <summary>End of input: lets detectors raise what they held back. Profiles and tuples stay readable.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (!_detect) return;
        _context.TimeWindow = Math.Max(1, _currentWindow);
        foreach (var detector in _detectors)
        {
            try
            {
                detector.OnFinish(_context);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fail(detector, null, ex);
            }
        }
    }

    private static IFlowPrefetch[] FlowPrefetchers(IDetector[][] byKind) => byKind[0].OfType<IFlowPrefetch>().ToArray();

    private static IDetector[][] ByKind(IDetector[] detectors, RecordKinds input)
    {
        var byKind = new IDetector[RecordKind.Count][];
        var handles = new RecordKinds[detectors.Length];
        for (int d = 0; d < detectors.Length; d++)
        {
            var needed = detectors[d].NeededKinds;
            handles[d] = needed != RecordKinds.None && (needed & input) == 0 ? RecordKinds.None : detectors[d].HandledKinds;
        }

        var list = new List<IDetector>(detectors.Length);
        for (int k = 0; k < RecordKind.Count; k++)
        {
            list.Clear();
            for (int d = 0; d < detectors.Length; d++)
            {
                if (((int)handles[d] & (1 << k)) != 0) list.Add(detectors[d]);
            }

            byKind[k] = list.ToArray();
        }

        return byKind;
    }

    private void Advance(int window)
    {
        _currentWindow = window;

        // Slips PR #1743: a window's state is dropped two windows after it closes, so windows n-1 and n-2 stay
        // for late records and everything older goes.
        int keepFrom = window - 2;
        if (keepFrom <= 1) return;
        int evicted = _profiler.EvictBefore(keepFrom);
        Engine.EvictBefore(keepFrom);
        foreach (var d in _detectors) d.EvictBefore(keepFrom);
        _stats.EvictedWindows += evicted;
    }

    private void RaiseEvidence(Evidence evidence) => Engine.Submit(evidence);

    private bool WasResolved(IpAddr ip) => _resolved.Contains(ip);

    private void LearnResolved(DnsRecord dns)
    {
        int n = Math.Min(dns.Answers.Count, Whitelist.MaxAnswersPerRecord);
        for (int i = 0; i < n; i++)
        {
            if (_context.TryGetAnswerAddress(dns, i, out var ip)) _resolved.Add(ip);
        }
    }

    private void Fail(IDetector detector, NetEvent? record, Exception ex)
    {
        _stats.DetectorErrors++;
        if (_errors.Count >= MaxErrorMessages) return;
        string where = record is null ? "at end of input" : record.SourceLine > 0 ? $"on record {record.SourceLine}" : $"on a record at {record.Timestamp}";
        _errors.Add($"detector {detector.Name} failed {where}: {ex.GetType().Name}: {ex.Message}");
    }
}

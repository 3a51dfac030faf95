namespace SlipsP2P.Detection.Detectors;

/// <summary>What a detector may see and do while handling one record: the window, the options, and raising evidence.</summary>
public sealed class DetectionContext
{
    private readonly Action<Evidence> _raise;
    private readonly Func<IpAddr, bool> _wasResolved;

    /// <summary>Creates a context that hands raised evidence to <paramref name="raise"/>.</summary>
    public DetectionContext(AnalysisOptions options, TimeWindows windows, Action<Evidence> raise, Func<IpAddr, bool>? wasResolved = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(raise);
        Options = options;
        Windows = windows;
        _raise = raise;
        _wasResolved = wasResolved ?? (static _ => false);
    }

    /// <summary>The analysis options.</summary>
    public AnalysisOptions Options { get; }

    /// <summary>Detector thresholds (shortcut for <c>Options.Detectors</c>).</summary>
    public DetectorOptions Detectors => Options.Detectors;

    /// <summary>The global time windows.</summary>
    public TimeWindows Windows { get; }

    /// <summary>The 1-based window of the record being handled.</summary>
    public int TimeWindow { get; set; } = 1;

    /// <summary>Raises evidence; a <see cref="Evidence.TimeWindow"/> of 0 is set to <see cref="TimeWindow"/>.</summary>
    public void Raise(Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.TimeWindow <= 0) evidence.TimeWindow = TimeWindow;
        _raise(evidence);
    }

    /// <summary>True when <paramref name="address"/> was seen as a DNS answer in the traffic (a resolved, hence named, host).</summary>
    public bool WasResolved(IpAddr address) => _wasResolved(address);
}

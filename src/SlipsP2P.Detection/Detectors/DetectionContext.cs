namespace SlipsP2P.Detection.Detectors;

/// <summary>What a detector may see and do while handling one record: the window, the options, and raising evidence.</summary>
public sealed class DetectionContext
{
    /// <summary>Answers of one DNS record parsed once and shared (the whitelist keeps at most as many).</summary>
    public const int MaxSharedAnswers = 64;

    private readonly Action<Evidence> _raise;
    private readonly Func<IpAddr, bool> _wasResolved;
    private readonly IpAddr[] _answers = new IpAddr[MaxSharedAnswers];
    private ulong _answerIsAddress;
    private DnsRecord? _answersOf;
    private IReadOnlyList<string>? _answersList;

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

    /// <summary>
    /// Answer <paramref name="index"/> of <paramref name="dns"/> as an address (false when it is a name or other
    /// text). The first <see cref="MaxSharedAnswers"/> answers of a record are parsed once, however many detectors ask.
    /// </summary>
    public bool TryGetAnswerAddress(DnsRecord dns, int index, out IpAddr address)
    {
        ArgumentNullException.ThrowIfNull(dns);
        // A capture's answers are addresses already; only texts are parsed, and shared.
        if (dns.Answers is AddressAnswers || (uint)index >= MaxSharedAnswers) return AddressAnswers.TryGetAddress(dns.Answers, index, out address);
        if (!ReferenceEquals(dns, _answersOf) || !ReferenceEquals(dns.Answers, _answersList)) ParseAnswers(dns);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, dns.Answers.Count);
        address = _answers[index];
        return (_answerIsAddress & (1UL << index)) != 0;
    }

    /// <summary>Forgets what was shared about the previous record (the pipeline calls it before each record).</summary>
    public void NextRecord()
    {
        _answersOf = null;
        _answersList = null;
    }

    private void ParseAnswers(DnsRecord dns)
    {
        var answers = dns.Answers;
        int n = Math.Min(answers.Count, MaxSharedAnswers);
        ulong isAddress = 0;
        for (int i = 0; i < n; i++)
        {
            if (IpAddr.TryParse(answers[i], out _answers[i])) isAddress |= 1UL << i;
        }

        _answerIsAddress = isAddress;
        _answersOf = dns;
        _answersList = answers;
    }
}

namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>
/// Bad lines of one input file, reported as one warning: the file, how many lines were bad, the first bad line's
/// number and why ("config/ti/x.csv: 3 bad lines skipped (first: line 7: ...)"), not one message per line.
/// </summary>
internal sealed class LineProblems
{
    private readonly string _name;
    private readonly string _what;
    private long _count;
    private long _firstLine;
    private string _firstReason = "";

    public LineProblems(string name, string what)
    {
        _name = name;
        _what = what;
    }

    public long Count => _count;

    public void Bad(long line, string reason)
    {
        if (_count++ > 0) return;
        _firstLine = line;
        _firstReason = reason;
    }

    public void Report(IList<string> warnings)
    {
        if (_count == 0) return;
        warnings.Add($"{_name}: {_count} bad {(_count == 1 ? "line" : "lines")} in the {_what} skipped (first: line {_firstLine}: {_firstReason})");
    }
}

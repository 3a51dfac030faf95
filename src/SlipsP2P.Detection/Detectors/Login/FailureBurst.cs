namespace SlipsP2P.Detection.Detectors.Login;

/// <summary>
/// The last few failed logins of one client to one server: reports when <c>threshold</c> of them fall within
/// <c>seconds</c> of traffic time, then starts over (Slips' SMTP brute-force cache: the logins behind an evidence
/// are not counted again). Holds at most <c>threshold</c> entries, so each failure costs O(1).
/// </summary>
public sealed class FailureBurst
{
    private readonly Queue<(double Timestamp, string Uid)> _recent = new();

    /// <summary>Failures currently held.</summary>
    public int Count => _recent.Count;

    /// <summary>
    /// Adds a failure at <paramref name="timestamp"/>; true, with the uids of the burst, when the last
    /// <paramref name="threshold"/> failures span at most <paramref name="seconds"/>.
    /// </summary>
    public bool Add(double timestamp, string uid, int threshold, double seconds, out IReadOnlyList<string> uids)
    {
        uids = Array.Empty<string>();
        _recent.Enqueue((timestamp, uid));
        while (_recent.Count > threshold) _recent.Dequeue();
        if (_recent.Count < threshold || timestamp - _recent.Peek().Timestamp > seconds) return false;
        var list = new List<string>(_recent.Count);
        foreach (var (_, u) in _recent)
        {
            if (u.Length > 0 && !list.Contains(u)) list.Add(u);
        }

        uids = list;
        _recent.Clear();
        return true;
    }
}

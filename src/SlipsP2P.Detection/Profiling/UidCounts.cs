namespace SlipsP2P.Detection.Profiling;

/// <summary>
/// A count per uid (ordinal) that holds its first uid in fields and makes a dictionary only at a second one: most
/// keys that keep such counts (an SSH client and server in a window) see one connection. Issue 5: the SSH brute-force
/// detector made an empty dictionary per campaign, ~200 bytes each once it held its one uid (7,431 campaigns, 3.5 MB
/// of its 4 MB on the 2M-packet generated capture).
/// </summary>
internal sealed class UidCounts
{
    private string? _first;
    private int _firstCount;
    private Dictionary<string, int>? _all;

    /// <summary>Uids held.</summary>
    public int Count => _all?.Count ?? (_first is null ? 0 : 1);

    /// <summary>The count of <paramref name="uid"/>, or set it (added when missing).</summary>
    public int this[string uid]
    {
        set
        {
            ArgumentNullException.ThrowIfNull(uid);
            if (_all is null)
            {
                if (_first is null || string.Equals(_first, uid, StringComparison.Ordinal))
                {
                    _first = uid;
                    _firstCount = value;
                    return;
                }

                _all = new Dictionary<string, int>(StringComparer.Ordinal) { [_first] = _firstCount };
                _first = null;
            }

            _all[uid] = value;
        }
    }

    /// <summary>The count of <paramref name="uid"/>; false (and 0) when it has none.</summary>
    public bool TryGetValue(string uid, out int count)
    {
        if (_all is not null) return _all.TryGetValue(uid, out count);
        bool found = _first is not null && string.Equals(_first, uid, StringComparison.Ordinal);
        count = found ? _firstCount : 0;
        return found;
    }
}

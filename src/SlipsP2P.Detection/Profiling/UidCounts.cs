namespace SlipsP2P.Detection.Profiling;

/// <summary>
/// A count per uid, keyed by the uid's 64-bit hash (<see cref="KeyHash.TryOfUid"/>: packed and text uids alike, so no
/// uid text is made for it), that holds its first uid in fields and makes a dictionary only at a second one: most
/// keys that keep such counts (an SSH client and server in a window) see one connection. Issue 5: the SSH brute-force
/// detector made an empty dictionary per campaign, ~200 bytes each once it held its one uid (7,431 campaigns, 3.5 MB
/// of its 4 MB on the 2M-packet generated capture), and then kept each uid's text.
/// </summary>
internal sealed class UidCounts
{
    private ulong _first;
    private int _firstCount;
    private bool _hasFirst;
    private Dictionary<ulong, int>? _all;

    /// <summary>Uids held.</summary>
    public int Count => _all?.Count ?? (_hasFirst ? 1 : 0);

    /// <summary>The count of the uid hashed <paramref name="uid"/>, or set it (added when missing).</summary>
    public int this[ulong uid]
    {
        set
        {
            if (_all is null)
            {
                if (!_hasFirst || _first == uid)
                {
                    _first = uid;
                    _firstCount = value;
                    _hasFirst = true;
                    return;
                }

                _all = new Dictionary<ulong, int> { [_first] = _firstCount };
                _hasFirst = false;
            }

            _all[uid] = value;
        }
    }

    /// <summary>The count of the uid hashed <paramref name="uid"/>; false (and 0) when it has none.</summary>
    public bool TryGetValue(ulong uid, out int count)
    {
        if (_all is not null) return _all.TryGetValue(uid, out count);
        bool found = _hasFirst && _first == uid;
        count = found ? _firstCount : 0;
        return found;
    }
}

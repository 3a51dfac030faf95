namespace SlipsP2P.Detection.Detectors;

/// <summary>
/// The uids of the flows behind an evidence, at most <see cref="Evidence.MaxUids"/> (the most recent kept). Most lists
/// never hold more than one uid (one flow per key and window), so the first is kept in fields and arrays are made only
/// for the second, starting at two slots. Uids are kept packed (<see cref="PackedUid"/>, a text only for one that does
/// not pack): a list holds no reference to a flow's uid string, which then dies young with its record instead of
/// living on in the old generation with the detector state (issue 5: a 2M-line conn.log had 320,000 uid strings, 19
/// MB, kept by these lists and the periodicity states; without them its run took 3.4 s instead of 4.4, with 1.1 s of
/// GC pauses instead of 2.0). Strings are made only for an evidence (<see cref="Snapshot"/>).
/// </summary>
public sealed class UidList
{
    private PackedUid _one;
    private string? _oneText;

    // From the second uid on: a ring of the most recent, oldest at _head once full (texts only for uids that do not pack).
    private PackedUid[]? _packed;
    private string?[]? _texts;
    private int _head;
    private int _count;

    /// <summary>Uids held.</summary>
    public int Count => _packed is not null ? _count : _oneText is null && _one.IsEmpty ? 0 : 1;

    /// <summary>Adds a uid; empty uids are ignored, the oldest is dropped past the cap.</summary>
    public void Add(string uid)
    {
        if (string.IsNullOrEmpty(uid)) return;
        Add(PackedUid.TryPack(uid, out var packed) ? null : uid, packed);
    }

    /// <summary>Adds <paramref name="record"/>'s uid, packed without making its text when it packs; an empty one is ignored.</summary>
    public void AddUidOf(NetEvent record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.TryGetPackedUid(out var packed)) Add(null, packed);
        else Add(record.Uid);
    }

    /// <summary>Adds a uid already packed, or as <paramref name="text"/> when it does not pack; empty uids are ignored.</summary>
    internal void Add(string? text, PackedUid packed)
    {
        if (text is null ? packed.IsEmpty : text.Length == 0) return;
        if (_packed is null)
        {
            if (_oneText is null && _one.IsEmpty)
            {
                _one = packed;
                _oneText = text;
                return;
            }

            _packed = new PackedUid[2];
            Put(_oneText, _one);
            _one = default;
            _oneText = null;
        }

        Put(text, packed);
    }

    private void Put(string? text, PackedUid packed)
    {
        int slot;
        if (_count < _packed!.Length)
        {
            // Not yet full: nothing was overwritten, so the oldest is at 0.
            slot = _count++;
        }
        else if (_packed.Length < Evidence.MaxUids)
        {
            int size = Math.Min(Evidence.MaxUids, _packed.Length * 2);
            Array.Resize(ref _packed, size);
            if (_texts is not null) Array.Resize(ref _texts, size);
            slot = _count++;
        }
        else
        {
            slot = _head;
            _head = (_head + 1) % _packed.Length;
        }

        _packed[slot] = packed;
        if (text is not null) (_texts ??= new string?[_packed.Length])[slot] = text;
        else if (_texts is not null) _texts[slot] = null;
    }

    /// <summary>The uids, oldest first, as strings for an evidence.</summary>
    public IReadOnlyList<string> Snapshot()
    {
        if (_packed is null) return _oneText is not null ? [_oneText] : _one.IsEmpty ? Array.Empty<string>() : [_one.ToString()];
        var uids = new string[_count];
        for (int i = 0; i < _count; i++)
        {
            int slot = (_head + i) % _packed.Length;
            uids[i] = _texts?[slot] ?? _packed[slot].ToString();
        }

        return uids;
    }

    /// <summary>Forgets every uid (the arrays are kept).</summary>
    public void Clear()
    {
        _one = default;
        _oneText = null;
        _head = 0;
        _count = 0;
        if (_texts is not null) Array.Clear(_texts);
    }
}

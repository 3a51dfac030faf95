namespace SlipsP2P.Detection.Detectors;

/// <summary>
/// The uids of the flows behind an evidence, at most <see cref="Evidence.MaxUids"/> (the most recent kept). Most lists
/// never hold more than one uid (one flow per key and window), so the first is kept in a field and a queue is made
/// only for the second.
/// </summary>
public sealed class UidList
{
    private string? _one;
    private Queue<string>? _uids;

    /// <summary>Uids held.</summary>
    public int Count => _uids?.Count ?? (_one is null ? 0 : 1);

    /// <summary>Adds a uid; empty uids are ignored, the oldest is dropped past the cap.</summary>
    public void Add(string uid)
    {
        if (string.IsNullOrEmpty(uid)) return;
        if (_uids is null)
        {
            if (_one is null)
            {
                _one = uid;
                return;
            }

            _uids = new Queue<string>(4);
            _uids.Enqueue(_one);
            _one = null;
        }

        if (_uids.Count >= Evidence.MaxUids) _uids.Dequeue();
        _uids.Enqueue(uid);
    }

    /// <summary>A copy for an evidence.</summary>
    public IReadOnlyList<string> Snapshot() =>
        _uids is not null ? _uids.ToArray() : _one is not null ? [_one] : Array.Empty<string>();
}

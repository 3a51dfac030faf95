namespace SlipsP2P.Detection.Detectors;

/// <summary>The uids of the flows behind an evidence, at most <see cref="Evidence.MaxUids"/> (the most recent kept).</summary>
public sealed class UidList
{
    private readonly Queue<string> _uids = new();

    /// <summary>Adds a uid; empty uids are ignored, the oldest is dropped past the cap.</summary>
    public void Add(string uid)
    {
        if (string.IsNullOrEmpty(uid)) return;
        if (_uids.Count >= Evidence.MaxUids) _uids.Dequeue();
        _uids.Enqueue(uid);
    }

    /// <summary>A copy for an evidence.</summary>
    public IReadOnlyList<string> Snapshot() => _uids.Count == 0 ? Array.Empty<string>() : _uids.ToArray();
}

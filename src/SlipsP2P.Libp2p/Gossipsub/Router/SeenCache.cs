namespace SlipsP2P.Libp2p.Gossipsub.Router;

/// <summary>
/// A set of keys that each expire a fixed time after insertion (the seen cache, the IDONTWANT sets). Owned by the
/// router loop. Expiry is in insertion order, so pruning is a walk from the head of a queue.
/// </summary>
internal sealed class SeenCache<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, long> _expiry;
    private readonly ExpiryQueue<TKey> _order = new();
    private readonly long _ttlTicks;

    public SeenCache(TimeSpan ttl, IEqualityComparer<TKey>? comparer = null)
    {
        _ttlTicks = ttl.Ticks;
        _expiry = new Dictionary<TKey, long>(comparer);
    }

    public int Count => _expiry.Count;

    /// <summary>Adds <paramref name="key"/> at time <paramref name="nowTicks"/>; false when it was already present.</summary>
    public bool Add(TKey key, long nowTicks)
    {
        long expires = nowTicks + _ttlTicks;
        if (!_expiry.TryAdd(key, expires)) return false;
        _order.Enqueue(key, expires);
        return true;
    }

    public bool Contains(TKey key) => _expiry.ContainsKey(key);

    /// <summary>Removes every key whose time is up.</summary>
    public void Prune(long nowTicks)
    {
        while (_order.TryPeek(out var head) && head.Expires <= nowTicks)
        {
            _order.Dequeue();
            if (_expiry.TryGetValue(head.Key, out long e) && e == head.Expires) _expiry.Remove(head.Key);
        }
    }

    public void Clear()
    {
        _expiry.Clear();
        _order.Clear();
    }
}

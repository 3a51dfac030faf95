namespace SlipsP2P.Detection.Collections;

/// <summary>What <see cref="BoundedSet{T}.Add"/> did.</summary>
public enum BoundedAdd : byte
{
    /// <summary>The value was already there.</summary>
    Present,
    /// <summary>The value was new and was added.</summary>
    Added,
    /// <summary>The value was new but the set was full; it was counted as dropped.</summary>
    Dropped,
}

/// <summary>
/// A hash set with a hard capacity: distinct values past the cap are counted, not stored, so that one noisy profile
/// cannot grow memory without bound (Slips issue #950 was an unbounded per-scan uid list).
/// </summary>
public sealed class BoundedSet<T>
    where T : notnull
{
    private readonly HashSet<T> _set;

    /// <summary>Creates a set holding at most <paramref name="capacity"/> values.</summary>
    public BoundedSet(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _set = new HashSet<T>();
    }

    /// <summary>The most values kept.</summary>
    public int Capacity { get; }

    /// <summary>Values kept.</summary>
    public int Count => _set.Count;

    /// <summary>Distinct new values refused because the set was full (an upper bound: a refused value seen twice counts twice).</summary>
    public long Dropped { get; private set; }

    /// <summary>Adds a value unless it is present or the set is full.</summary>
    public BoundedAdd Add(T value)
    {
        // Below the cap one hash lookup does both the test and the insert (this runs for every flow).
        if (_set.Count < Capacity) return _set.Add(value) ? BoundedAdd.Added : BoundedAdd.Present;
        if (_set.Contains(value)) return BoundedAdd.Present;
        Dropped++;
        return BoundedAdd.Dropped;
    }

    /// <summary>True when the value is kept.</summary>
    public bool Contains(T value) => _set.Contains(value);

    /// <summary>Removes everything, keeping the dropped count.</summary>
    public void Clear() => _set.Clear();
}

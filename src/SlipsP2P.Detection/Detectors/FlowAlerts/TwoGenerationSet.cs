using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection.Detectors.FlowAlerts;

/// <summary>
/// A set of recently seen 64-bit key hashes (<see cref="Profiling.KeyHash"/>) in two generations: when the young one is
/// full it becomes the old one and the oldest generation is dropped, so membership tests stay O(1) and memory stays
/// bounded. The generations are <see cref="HashSet64"/>s whose slots are kept across swaps.
/// </summary>
internal sealed class TwoGenerationSet
{
    private readonly int _perGeneration;
    private HashSet64 _young = new();
    private HashSet64 _old = new();

    /// <summary>Creates a set keeping between <paramref name="perGeneration"/> and twice that many keys.</summary>
    public TwoGenerationSet(int perGeneration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perGeneration, 1);
        _perGeneration = perGeneration;
    }

    /// <summary>Adds a key hash.</summary>
    public void Add(ulong key)
    {
        if (_young.Count >= _perGeneration)
        {
            (_old, _young) = (_young, _old);
            _young.Clear();
        }

        _young.Add(key);
    }

    /// <summary>True when the key hash was added recently.</summary>
    public bool Contains(ulong key) => _young.Contains(key) || _old.Contains(key);

    /// <summary>Starts loading where <see cref="Add"/> and <see cref="Contains"/> will look for the key (a hint).</summary>
    public void Prefetch(ulong key)
    {
        _young.Prefetch(key);
        _old.Prefetch(key);
    }
}

/// <summary>
/// A set of recently seen keys in two generations, as <see cref="TwoGenerationSet"/> for keys that are not hashes. The
/// generations are flat maps whose slots are kept across swaps.
/// </summary>
internal sealed class TwoGenerationSet<TKey, TOps>
    where TKey : struct
    where TOps : struct, IFlatKey<TKey>
{
    private readonly int _perGeneration;
    private FlatMap<TKey, byte, TOps> _young = new();
    private FlatMap<TKey, byte, TOps> _old = new();

    /// <summary>Creates a set keeping between <paramref name="perGeneration"/> and twice that many keys.</summary>
    public TwoGenerationSet(int perGeneration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perGeneration, 1);
        _perGeneration = perGeneration;
    }

    /// <summary>Adds a key.</summary>
    public void Add(TKey key)
    {
        if (_young.Count >= _perGeneration)
        {
            (_old, _young) = (_young, _old);
            _young.Clear();
        }

        _young.GetValueRefOrAddDefault(key, out _);
    }

    /// <summary>True when the key was added recently.</summary>
    public bool Contains(TKey key) => _young.ContainsKey(key) || _old.ContainsKey(key);

    /// <summary>Starts loading where <see cref="Add"/> and <see cref="Contains"/> will look for the key (a hint).</summary>
    public void Prefetch(TKey key)
    {
        _young.Prefetch(key);
        _old.Prefetch(key);
    }
}

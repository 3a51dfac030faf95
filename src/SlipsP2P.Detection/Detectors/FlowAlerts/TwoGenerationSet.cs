namespace SlipsP2P.Detection.Detectors.FlowAlerts;

/// <summary>
/// A set of recently seen keys in two generations: when the young one is full it becomes the old one and the oldest
/// generation is dropped, so membership tests stay O(1) and memory stays bounded.
/// </summary>
public sealed class TwoGenerationSet<T>
    where T : notnull
{
    private readonly int _perGeneration;
    private HashSet<T> _young = new();
    private HashSet<T> _old = new();

    /// <summary>Creates a set keeping between <paramref name="perGeneration"/> and twice that many keys.</summary>
    public TwoGenerationSet(int perGeneration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perGeneration, 1);
        _perGeneration = perGeneration;
    }

    /// <summary>Adds a key.</summary>
    public void Add(T key)
    {
        if (_young.Count >= _perGeneration)
        {
            (_old, _young) = (_young, _old);
            _young.Clear();
        }

        _young.Add(key);
    }

    /// <summary>True when the key was added recently.</summary>
    public bool Contains(T key) => _young.Contains(key) || _old.Contains(key);
}

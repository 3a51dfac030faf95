using System.Runtime.CompilerServices;

namespace SlipsP2P.Detection.Collections;

/// <summary>
/// Per time window, per key state held as a struct in the dictionary itself (no object per key), evicted by window:
/// the compact sibling of <see cref="WindowedStore{TKey, TState}"/> for detectors that keep a few numbers per key. Each
/// window's values are in a <see cref="FlatMap{TKey, TValue, TOps}"/> (probed once per flow).
/// </summary>
internal sealed class WindowedValues<TKey, TValue, TOps>
    where TKey : struct
    where TValue : struct
    where TOps : struct, IFlatKey<TKey>
{
    private readonly Dictionary<int, FlatMap<TKey, TValue, TOps>> _windows = new();
    private readonly int _maxKeysPerWindow;
    private int _lastWindow = int.MinValue;
    private FlatMap<TKey, TValue, TOps>? _last;

    /// <summary>Creates a store of at most <paramref name="maxKeysPerWindow"/> keys per window.</summary>
    public WindowedValues(int maxKeysPerWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeysPerWindow, 1);
        _maxKeysPerWindow = maxKeysPerWindow;
    }

    /// <summary>Keys refused because a window was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Windows currently held.</summary>
    public int WindowCount => _windows.Count;

    /// <summary>
    /// A reference to the value of <paramref name="key"/> in <paramref name="window"/>, added as default when missing
    /// (<paramref name="added"/> true); a null reference (test with <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>)
    /// when the window is full. The reference is valid until the next call that adds or evicts.
    /// </summary>
    public ref TValue GetOrAdd(int window, TKey key, out bool added)
    {
        var map = Map(window);
        if (map.Count >= _maxKeysPerWindow)
        {
            ref var found = ref map.GetValueRefOrNullRef(key);
            added = false;
            if (Unsafe.IsNullRef(ref found)) Dropped++;
            return ref found;
        }

        ref var value = ref map.GetValueRefOrAddDefault(key, out bool exists);
        added = !exists;
        return ref value;
    }

    /// <summary>Starts loading where <see cref="GetOrAdd"/> will look for <paramref name="key"/> (a hint; makes no window).</summary>
    public void Prefetch(int window, in TKey key)
    {
        if (window == _lastWindow) _last?.Prefetch(key);
        else if (_windows.TryGetValue(window, out var map)) map.Prefetch(key);
    }

    /// <summary>Drops every window numbered below <paramref name="window"/>; returns how many were dropped.</summary>
    public int EvictBefore(int window)
    {
        if (_windows.Count == 0) return 0;
        int dropped = 0;
        foreach (var w in _windows.Keys)
        {
            if (w >= window) continue;
            _windows.Remove(w);
            dropped++;
        }

        if (_lastWindow < window)
        {
            _lastWindow = int.MinValue;
            _last = null;
        }

        return dropped;
    }

    private FlatMap<TKey, TValue, TOps> Map(int window)
    {
        if (window == _lastWindow && _last is not null) return _last;
        if (!_windows.TryGetValue(window, out var map))
        {
            map = new FlatMap<TKey, TValue, TOps>();
            _windows[window] = map;
        }

        _lastWindow = window;
        _last = map;
        return map;
    }
}

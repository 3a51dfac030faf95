namespace SlipsP2P.Detection.Collections;

/// <summary>
/// Per time window, per key state, evicted by window: detectors keep their counters here so that a closed window's
/// state goes away as a whole (Slips PR #1743: state is dropped two windows after a window closes).
/// </summary>
public sealed class WindowedStore<TKey, TState>
    where TKey : notnull
    where TState : class
{
    private readonly Dictionary<int, Dictionary<TKey, TState>> _windows = new();
    private readonly Func<TState> _create;
    private readonly int _maxKeysPerWindow;
    private int _lastWindow = int.MinValue;
    private Dictionary<TKey, TState>? _last;

    /// <summary>Creates a store making new state with <paramref name="create"/>, at most <paramref name="maxKeysPerWindow"/> keys per window.</summary>
    public WindowedStore(Func<TState> create, int maxKeysPerWindow)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeysPerWindow, 1);
        _create = create;
        _maxKeysPerWindow = maxKeysPerWindow;
    }

    /// <summary>Keys refused because a window was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Windows currently held.</summary>
    public int WindowCount => _windows.Count;

    /// <summary>The state of <paramref name="key"/> in <paramref name="window"/>, created when missing; null when the window is full.</summary>
    public TState? GetOrCreate(int window, TKey key)
    {
        // Nearly every call is for the current window: its map is kept at hand.
        var map = window == _lastWindow ? _last! : null;
        if (map is null)
        {
            if (!_windows.TryGetValue(window, out map))
            {
                map = new Dictionary<TKey, TState>();
                _windows[window] = map;
            }

            _lastWindow = window;
            _last = map;
        }

        if (map.TryGetValue(key, out var state)) return state;
        if (map.Count >= _maxKeysPerWindow)
        {
            Dropped++;
            return null;
        }

        state = _create();
        map[key] = state;
        return state;
    }

    /// <summary>The state of <paramref name="key"/> in <paramref name="window"/>, if any.</summary>
    public TState? Get(int window, TKey key) =>
        _windows.TryGetValue(window, out var map) && map.TryGetValue(key, out var state) ? state : null;

    /// <summary>Every window's states (for end-of-input flushes).</summary>
    public IEnumerable<(int Window, TKey Key, TState State)> All()
    {
        foreach (var (window, map) in _windows)
        {
            foreach (var (key, state) in map) yield return (window, key, state);
        }
    }

    /// <summary>Drops every window numbered below <paramref name="window"/>; returns how many were dropped.</summary>
    public int EvictBefore(int window)
    {
        if (_windows.Count == 0) return 0;
        List<int>? old = null;
        foreach (var w in _windows.Keys)
        {
            if (w < window) (old ??= new List<int>()).Add(w);
        }

        if (old is null) return 0;
        foreach (var w in old) _windows.Remove(w);
        if (_lastWindow < window)
        {
            _lastWindow = int.MinValue;
            _last = null;
        }

        return old.Count;
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;

namespace SlipsP2P.Detection.Collections;

/// <summary>
/// A set of 64-bit key hashes (<see cref="Profiling.KeyHash"/>): open addressing over one <c>ulong</c> array in which 0
/// marks an empty slot (the key 0 is held in a flag), linear probing, power-of-two slots at most three quarters full.
/// 8 bytes a slot where <see cref="HashSet{T}"/> of <c>ulong</c> takes 20 an entry and
/// <see cref="FlatMap{TKey, TValue, TOps}"/> 17 a slot. The keys must be hashes: their high bits pick the slot as they are,
/// so that the slots are in key order and a resize runs front to back (see <see cref="FlatMap{TKey, TValue, TOps}"/>).
/// No removal (the sets that use it are dropped a generation at a time).
/// </summary>
internal sealed class HashSet64
{
    private const int MinCapacity = 16;

    private ulong[] _slots = [];
    private int _mask = -1;
    private int _shift;
    private int _count;
    private int _growAt;
    private bool _hasZero;

    /// <summary>Keys held.</summary>
    public int Count => _count + (_hasZero ? 1 : 0);

    /// <summary>Slots allocated (for tests and memory statistics).</summary>
    public int Capacity => _slots.Length;

    /// <summary>Adds <paramref name="key"/>; false when it was already held.</summary>
    public bool Add(ulong key)
    {
        if (key == 0)
        {
            if (_hasZero) return false;
            _hasZero = true;
            return true;
        }

        if (_count >= _growAt) Resize(_slots.Length == 0 ? MinCapacity : _slots.Length * 2);
        ulong[] slots = _slots;
        int mask = _mask;
        int i = (int)(key >> _shift);
        while (true)
        {
            ulong k = slots[i];
            if (k == 0) break;
            if (k == key) return false;
            i = (i + 1) & mask;
        }

        slots[i] = key;
        _count++;
        return true;
    }

    /// <summary>Starts loading the slot where <paramref name="key"/>'s probe begins (a hint; changes nothing).</summary>
    public void Prefetch(ulong key)
    {
        ulong[] slots = _slots;
        if (slots.Length > 0) CacheHint.Prefetch(ref slots[(int)(key >> _shift)], 8);
    }

    /// <summary>True when <paramref name="key"/> is held.</summary>
    public bool Contains(ulong key)
    {
        if (key == 0) return _hasZero;
        if (_count == 0) return false;
        ulong[] slots = _slots;
        int mask = _mask;
        int i = (int)(key >> _shift);
        while (true)
        {
            ulong k = slots[i];
            if (k == key) return true;
            if (k == 0) return false;
            i = (i + 1) & mask;
        }
    }

    /// <summary>Removes every key, keeping the slots.</summary>
    public void Clear()
    {
        if (_count > 0) Array.Clear(_slots);
        _count = 0;
        _hasZero = false;
    }

    // Rare but loops over the whole table: compiled optimized at once (see FlatMap.Resize).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Resize(int capacity)
    {
        ulong[] old = _slots;
        var slots = new ulong[capacity];
        Prefault.Pages(slots);
        int mask = capacity - 1;
        int shift = 64 - BitOperations.Log2((uint)capacity);
        // From an empty slot on, so that no run is split at the end of the old table (as FlatMap.Resize).
        int start = Array.IndexOf(old, 0UL);
        if (start < 0) start = 0;
        int oldMask = old.Length - 1;
        for (int n = 0; n < old.Length; n++)
        {
            ulong key = old[(start + n) & oldMask];
            if (key == 0) continue;
            int i = (int)(key >> shift);
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = key;
        }

        _slots = slots;
        _mask = mask;
        _shift = shift;
        _growAt = capacity - (capacity >> 2);
    }
}

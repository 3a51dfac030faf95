using System.Runtime.CompilerServices;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Flows;

/// <summary>Where the index finds the key a value stands for (it keeps no keys itself).</summary>
internal interface IFlowKeys
{
    /// <summary>Whether <paramref name="value"/> stands for <paramref name="key"/>.</summary>
    bool Matches(int value, in FlowKey key);
}

/// <summary>
/// The flow table's map from <see cref="FlowKey"/> to slot: open addressing with linear probing over 8-byte entries
/// (a 32-bit hash and the slot; the key is the slot's own tuple, checked through <see cref="IFlowKeys"/> only when the
/// hash matches, and the slot is read next anyway), a power-of-two size, at most three quarters full, and deletion by
/// backward shift (no tombstones, so probe chains never grow with churn). Every packet does one lookup here: this
/// replaced <c>Dictionary&lt;FlowKey, int&gt;</c>, whose buckets, 56-byte chained entries and modulo cost more per
/// packet, and a 16k-flow index fits in 256 KB instead of 1.5 MB.
/// </summary>
internal sealed class FlowIndex
{
    /// <summary>The fewest entries the index holds room for.</summary>
    internal const int MinCapacity = 16;

    private Entry[] _entries;
    private int _mask;
    private int _growAt;

    /// <summary>An index with room for <paramref name="capacity"/> keys before it grows.</summary>
    public FlowIndex(int capacity = MinCapacity)
    {
        _entries = new Entry[SizeFor(capacity)];
        _mask = _entries.Length - 1;
        _growAt = GrowLimit(_entries.Length);
    }

    /// <summary>Keys held.</summary>
    public int Count { get; private set; }

    /// <summary>Entries allocated (a power of two; at most three quarters are used).</summary>
    internal int Capacity => _entries.Length;

    /// <summary>
    /// The value of <paramref name="key"/>, or a new zero value for it (<paramref name="exists"/> false). The reference
    /// is valid until the next add or remove.
    /// </summary>
    public ref int GetValueRefOrAddDefault<TKeys>(in FlowKey key, in TKeys keys, out bool exists)
        where TKeys : struct, IFlowKeys
    {
        uint hash = Hash(in key);
        Entry[] entries = _entries;
        int i = Probe(in key, in keys, hash);
        if (i >= 0)
        {
            exists = true;
            return ref entries[i].Value;
        }

        i = ~i;
        exists = false;
        if (Count >= _growAt)
        {
            Resize(_entries.Length * 2);
            entries = _entries;
            i = (int)hash & _mask;
            while (entries[i].Hash != 0) i = (i + 1) & _mask;
        }

        ref Entry added = ref entries[i];
        added.Hash = hash;
        added.Value = 0;
        Count++;
        return ref added.Value;
    }

    /// <summary>The value of <paramref name="key"/>, or a null reference when it is absent (test with <see cref="Unsafe.IsNullRef"/>).</summary>
    public ref int GetValueRefOrNullRef<TKeys>(in FlowKey key, in TKeys keys)
        where TKeys : struct, IFlowKeys
    {
        int i = Find(in key, in keys);
        if (i < 0) return ref Unsafe.NullRef<int>();
        return ref _entries[i].Value;
    }

    /// <summary>Whether <paramref name="key"/> is held, and its value.</summary>
    public bool TryGetValue<TKeys>(in FlowKey key, in TKeys keys, out int value)
        where TKeys : struct, IFlowKeys
    {
        int i = Find(in key, in keys);
        value = i < 0 ? 0 : _entries[i].Value;
        return i >= 0;
    }

    /// <summary>Removes <paramref name="key"/>; false when it was not held.</summary>
    public bool Remove<TKeys>(in FlowKey key, in TKeys keys)
        where TKeys : struct, IFlowKeys
    {
        int i = Find(in key, in keys);
        if (i < 0) return false;
        Entry[] entries = _entries;
        int mask = _mask;

        // Backward shift: move later entries of the probe run into the hole when their home slot allows it.
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            ref Entry next = ref entries[j];
            if (next.Hash == 0) break;
            int home = (int)next.Hash & mask;

            // The entry at j may fill the hole at i only if its home is not cyclically within (i, j].
            bool between = i <= j ? home > i && home <= j : home > i || home <= j;
            if (between) continue;
            entries[i] = next;
            i = j;
        }

        entries[i] = default;
        Count--;
        return true;
    }

    /// <summary>Drops every key and gives back room beyond what <paramref name="capacity"/> keys need.</summary>
    public void Clear(int capacity = MinCapacity)
    {
        int size = SizeFor(capacity);
        if (size < _entries.Length) _entries = new Entry[size];
        else Array.Clear(_entries);
        _mask = _entries.Length - 1;
        _growAt = GrowLimit(_entries.Length);
        Count = 0;
    }

    /// <summary>Shrinks to the smallest size that holds the current keys (and at least <paramref name="capacity"/>).</summary>
    public void TrimExcess(int capacity = MinCapacity)
    {
        int size = SizeFor(Math.Max(capacity, Count));
        if (size < _entries.Length) Resize(size);
    }

    /// <summary>Asks for the cache line of <paramref name="key"/>'s home entry ahead of a lookup (a hint only).</summary>
    public void Prefetch(in FlowKey key) => CacheHint.Prefetch(ref _entries[(int)Hash(in key) & _mask], 8);

    private int Find<TKeys>(in FlowKey key, in TKeys keys)
        where TKeys : struct, IFlowKeys
        => Math.Max(Probe(in key, in keys, Hash(in key)), -1);

    /// <summary>
    /// The entry holding <paramref name="key"/>, or the complement (<c>~entry</c>, negative) of the empty entry where
    /// its probe run ends, which is where it would be added. The table always has an empty entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Probe<TKeys>(in FlowKey key, in TKeys keys, uint hash)
        where TKeys : struct, IFlowKeys
    {
        Entry[] entries = _entries;
        int i = (int)hash & _mask;
        while (true)
        {
            ref Entry e = ref entries[i];
            if (e.Hash == 0) return ~i;
            if (e.Hash == hash && keys.Matches(e.Value, in key)) return i;
            i = (i + 1) & _mask;
        }
    }

    private void Resize(int size)
    {
        Entry[] old = _entries;
        var entries = new Entry[size];
        int mask = size - 1;
        foreach (ref readonly Entry e in old.AsSpan())
        {
            if (e.Hash == 0) continue;
            int i = (int)e.Hash & mask;
            while (entries[i].Hash != 0) i = (i + 1) & mask;
            entries[i] = e;
        }

        _entries = entries;
        _mask = mask;
        _growAt = GrowLimit(size);
    }

    // Zero marks an empty entry, so a stored hash is never zero.
    private static uint Hash(in FlowKey key)
    {
        uint h = (uint)key.GetHashCode();
        return h == 0 ? 1 : h;
    }

    private static int SizeFor(int capacity)
    {
        int size = MinCapacity;
        while (GrowLimit(size) < capacity) size *= 2;
        return size;
    }

    private static int GrowLimit(int size) => size - (size >> 2);

    private struct Entry
    {
        public uint Hash;
        public int Value;
    }
}

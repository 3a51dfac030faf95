using System.Numerics;
using System.Runtime.CompilerServices;

namespace SlipsP2P.Detection.Collections;

/// <summary>
/// Hash and equality of a <see cref="FlatMap{TKey, TValue, TOps}"/> key type, implemented by an empty struct that the
/// map calls through <c>default(TOps)</c>: a constrained call the JIT resolves and inlines for each key type (no
/// comparer object, no interface dispatch).
/// </summary>
internal interface IFlatKey<TKey>
    where TKey : struct
{
    /// <summary>A well-mixed 64-bit hash: the high bits pick the slot, the low seven are kept as a tag.</summary>
    ulong Hash(in TKey key);

    /// <summary>Key equality.</summary>
    bool Equal(in TKey a, in TKey b);
}

/// <summary>
/// An open-addressing hash map (linear probing, a one-byte tag per slot, backward-shift deletion, power-of-two
/// capacity) for the detectors' per-flow tables. A key's home slot is the top bits of its hash, so the slots are in
/// hash order: a resize reads the old table and writes the new one front to back, where low-bit homes scattered every
/// entry to a random slot (a cache miss and often a page fault each; issue 5: 6% of slips -f on a 249k-line conn.log).
/// It replaces <see cref="Dictionary{TKey, TValue}"/> where a table is probed for every flow: the BCL dictionary keeps a
/// bucket array and a next link per entry, divides by a prime per probe, and its code for a detection key type cannot be
/// compiled ahead of time (a 250k-line conn.log ran its probes and resizes at tier 0 for a good part of the run). Not
/// thread-safe; enumeration order is unspecified.
/// </summary>
internal sealed class FlatMap<TKey, TValue, TOps>
    where TKey : struct
    where TOps : struct, IFlatKey<TKey>
{
    private const int MinCapacity = 16;

    private byte[] _tags = [];
    private Entry[] _entries = [];
    private int _mask = -1;
    private int _shift;
    private int _count;
    private int _growAt;

    /// <summary>Keys held.</summary>
    public int Count => _count;

    /// <summary>Slots allocated (for tests and memory statistics).</summary>
    public int Capacity => _tags.Length;

    /// <summary>A reference to the value of <paramref name="key"/>, or a null reference when it is absent.</summary>
    public ref TValue GetValueRefOrNullRef(scoped in TKey key)
    {
        int slot = Find(key);
        return ref slot >= 0 ? ref _entries[slot].Value : ref Unsafe.NullRef<TValue>();
    }

    /// <summary>The value of <paramref name="key"/>; false (and default) when it is absent.</summary>
    public bool TryGetValue(in TKey key, out TValue value)
    {
        int slot = Find(key);
        value = slot >= 0 ? _entries[slot].Value : default!;
        return slot >= 0;
    }

    /// <summary>True when <paramref name="key"/> is held.</summary>
    public bool ContainsKey(in TKey key) => Find(key) >= 0;

    /// <summary>Starts loading the tag and the entry where <paramref name="key"/>'s probe begins (a hint; changes nothing).</summary>
    public void Prefetch(in TKey key)
    {
        byte[] tags = _tags;
        Entry[] entries = _entries;
        if (tags.Length == 0 || entries.Length != tags.Length) return;
        int i = Home(default(TOps).Hash(key));
        CacheHint.Prefetch(ref tags[i], 1);
        CacheHint.Prefetch(ref entries[i], 1);
    }

    /// <summary>
    /// A reference to the value of <paramref name="key"/>, added as default when absent (<paramref name="exists"/>
    /// false). The reference is valid until the next call that adds or removes.
    /// </summary>
    public ref TValue GetValueRefOrAddDefault(scoped in TKey key, out bool exists)
    {
        if (_count >= _growAt) Resize(_tags.Length == 0 ? MinCapacity : _tags.Length * 2);
        ulong hash = default(TOps).Hash(key);
        byte tag = Tag(hash);
        Entry[] entries = _entries;
        int i = Probe(key, hash, tag);
        if (i >= 0)
        {
            exists = true;
            return ref entries[i].Value;
        }

        i = ~i;
        _tags[i] = tag;
        ref var entry = ref entries[i];
        entry.Key = key;
        entry.Value = default!;
        _count++;
        exists = false;
        return ref entry.Value;
    }

    /// <summary>Sets the value of <paramref name="key"/>, adding it when absent.</summary>
    public void Set(in TKey key, TValue value) => GetValueRefOrAddDefault(key, out _) = value;

    /// <summary>Removes <paramref name="key"/>; false when it was absent.</summary>
    public bool Remove(in TKey key)
    {
        int slot = Find(key);
        if (slot < 0) return false;
        RemoveAt(slot);
        return true;
    }

    /// <summary>Removes every key, keeping the allocated slots.</summary>
    public void Clear()
    {
        if (_count == 0) return;
        Array.Clear(_tags);
        if (RuntimeHelpers.IsReferenceOrContainsReferences<Entry>()) Array.Clear(_entries);
        _count = 0;
    }

    /// <summary>
    /// Removes the entries <paramref name="remove"/> selects (called once per entry, never on a hot path: window
    /// eviction); when most slots are then empty the table shrinks to fit what is left. Returns how many were removed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int RemoveWhere<TArg>(Func<TKey, TValue, TArg, bool> remove, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(remove);
        int removed = 0;
        for (int i = 0; i < _tags.Length;)
        {
            // A removal shifts a later entry of the same run into slot i: look at the slot again.
            if (_tags[i] != 0 && remove(_entries[i].Key, _entries[i].Value, arg))
            {
                RemoveAt(i);
                removed++;
                continue;
            }

            i++;
        }

        if (_tags.Length > MinCapacity && _count < _tags.Length / 8) Resize(Math.Max(MinCapacity, (int)BitOperations.RoundUpToPowerOf2((uint)(_count * 2) + 1)));
        return removed;
    }

    /// <summary>Calls <paramref name="visit"/> with every key and value (in slot order).</summary>
    public void ForEach<TArg>(Action<TKey, TValue, TArg> visit, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(visit);
        for (int i = 0; i < _tags.Length; i++)
        {
            if (_tags[i] != 0) visit(_entries[i].Key, _entries[i].Value, arg);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Tag(ulong hash) => (byte)(0x80 | (hash & 0x7F));

    /// <summary>The home slot of <paramref name="hash"/>: its top log2(capacity) bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(ulong hash) => (int)(hash >> _shift);

    private int Find(in TKey key)
    {
        if (_count == 0) return -1;
        ulong hash = default(TOps).Hash(key);
        return Math.Max(Probe(key, hash, Tag(hash)), -1);
    }

    /// <summary>
    /// The slot holding <paramref name="key"/>, or the complement (<c>~slot</c>, negative) of the empty slot where its
    /// probe run ends, which is where it would be added. The table must have an empty slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Probe(scoped in TKey key, ulong hash, byte tag)
    {
        byte[] tags = _tags;
        Entry[] entries = _entries;
        int mask = _mask;
        int i = Home(hash);
        while (true)
        {
            byte t = tags[i];
            if (t == 0) return ~i;
            if (t == tag && default(TOps).Equal(entries[i].Key, key)) return i;
            i = (i + 1) & mask;
        }
    }

    private void RemoveAt(int i)
    {
        // Backward-shift deletion: later entries of the run whose home slot is not between the hole and themselves
        // move back into the hole, so that no tombstones are needed and every probe stops at the first empty slot.
        byte[] tags = _tags;
        Entry[] entries = _entries;
        int mask = _mask;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            if (tags[j] == 0) break;
            int home = Home(default(TOps).Hash(entries[j].Key));
            if (((j - home) & mask) < ((j - i) & mask)) continue;
            tags[i] = tags[j];
            entries[i] = entries[j];
            i = j;
        }

        tags[i] = 0;
        entries[i] = default;
        _count--;
    }

    // Called a few times per table but loops over all of it: compiled optimized at once rather than run at tier 0 (a
    // 96k-pair table's resizes were 5% of slips -f on a 249k-line conn.log, most of it before on-stack replacement).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Resize(int capacity)
    {
        byte[] oldTags = _tags;
        Entry[] oldEntries = _entries;
        var tags = new byte[capacity];
        var entries = new Entry[capacity];
        Prefault.Pages(tags);
        Prefault.Pages(entries);
        int mask = capacity - 1;
        int shift = 64 - BitOperations.Log2((uint)capacity);
        // From an empty slot on, so that no run is split at the end of the old table: the entries then come in nearly
        // ascending home order and are written nearly in sequence.
        int start = Array.IndexOf(oldTags, (byte)0);
        if (start < 0) start = 0;
        int oldMask = oldTags.Length - 1;
        for (int k = 0; k < oldTags.Length; k++)
        {
            int s = (start + k) & oldMask;
            if (oldTags[s] == 0) continue;
            int i = (int)(default(TOps).Hash(oldEntries[s].Key) >> shift);
            while (tags[i] != 0) i = (i + 1) & mask;
            tags[i] = oldTags[s];
            entries[i] = oldEntries[s];
        }

        _tags = tags;
        _entries = entries;
        _mask = mask;
        _shift = shift;
        // At most three quarters full: linear probing stays short.
        _growAt = capacity - (capacity >> 2);
    }

    private struct Entry
    {
        public TKey Key;
        public TValue Value;
    }
}

/// <summary>Key operations for 64-bit keys that are values (two packed IPv4 addresses): mixed first.</summary>
internal readonly struct PackedKey : IFlatKey<ulong>
{
    public ulong Hash(in ulong key) => FlatHash.Mix(key);

    public bool Equal(in ulong a, in ulong b) => a == b;
}

/// <summary>Key operations for addresses.</summary>
internal readonly struct AddressKey : IFlatKey<IpAddr>
{
    public ulong Hash(in IpAddr key) => FlatHash.Mix(key.Low ^ FlatHash.Mix(key.High));

    public bool Equal(in IpAddr a, in IpAddr b) => a.Low == b.Low && a.High == b.High;
}

/// <summary>Key operations for ordered address pairs.</summary>
internal readonly struct AddressPairKey : IFlatKey<(IpAddr, IpAddr)>
{
    public ulong Hash(in (IpAddr, IpAddr) key) => FlatHash.Mix(default(AddressKey).Hash(key.Item1) ^ (default(AddressKey).Hash(key.Item2) * 0x9E3779B97F4A7C15UL));

    public bool Equal(in (IpAddr, IpAddr) a, in (IpAddr, IpAddr) b) => default(AddressKey).Equal(a.Item1, b.Item1) && default(AddressKey).Equal(a.Item2, b.Item2);
}

/// <summary>The hash mixing the flat maps' key operations share.</summary>
internal static class FlatHash
{
    /// <summary>A 64-bit finaliser (MurmurHash3's fmix64): every input bit affects every output bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }
}

using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors;
using SlipsP2P.Detection.Detectors.FlowAlerts;
using SlipsP2P.Detection.Profiling;

namespace SlipsP2P.Detection.Tests;

public class FlatMapTests
{
    /// <summary>Keys whose hash is the key modulo a few values: long runs, wrap-around and backward shifts everywhere.</summary>
    private readonly struct CollidingKey : IFlatKey<ulong>
    {
        public ulong Hash(in ulong key) => (key % 7) * 0x0123_4567_89AB_CDEFUL + (key % 3);

        public bool Equal(in ulong a, in ulong b) => a == b;
    }

    /// <summary>
    /// Keys whose hashes are among the highest: their home is the last slot at every capacity, so that their runs wrap
    /// around to the front of the table, and a resize meets them at both ends of the old one.
    /// </summary>
    private readonly struct WrappingKey : IFlatKey<ulong>
    {
        public ulong Hash(in ulong key) => ulong.MaxValue - ((key % 5) * 3) - (key % 2);

        public bool Equal(in ulong a, in ulong b) => a == b;
    }

    [Theory]
    [InlineData(1, 200, 20_000)]
    [InlineData(2, 5_000, 60_000)]
    [InlineData(3, 40, 10_000)]
    public void RandomOperations_CollidingHashes_MatchDictionary(int seed, int keySpace, int steps) =>
        RandomOperations<CollidingKey>(seed, keySpace, steps);

    [Theory]
    [InlineData(4, 300, 20_000)]
    [InlineData(5, 30, 5_000)]
    public void RandomOperations_RunsWrappingAround_MatchDictionary(int seed, int keySpace, int steps) =>
        RandomOperations<WrappingKey>(seed, keySpace, steps);

    private static void RandomOperations<TOps>(int seed, int keySpace, int steps)
        where TOps : struct, IFlatKey<ulong>
    {
        var random = new Random(seed);
        var map = new FlatMap<ulong, long, TOps>();
        var model = new Dictionary<ulong, long>();
        for (int step = 0; step < steps; step++)
        {
            ulong key = (ulong)random.Next(keySpace);
            switch (random.Next(10))
            {
                case < 5:
                    ref long value = ref map.GetValueRefOrAddDefault(key, out bool exists);
                    Assert.Equal(model.ContainsKey(key), exists);
                    value += step;
                    model[key] = model.GetValueOrDefault(key) + step;
                    break;
                case < 8:
                    Assert.Equal(model.Remove(key), map.Remove(key));
                    break;
                case 8:
                    Assert.Equal(model.TryGetValue(key, out long expected), map.TryGetValue(key, out long actual));
                    Assert.Equal(expected, actual);
                    break;
                default:
                    if (random.Next(50) == 0)
                    {
                        ulong cut = (ulong)random.Next(keySpace);
                        int removed = map.RemoveWhere(static (k, _, c) => k < c, cut);
                        int before = model.Count;
                        foreach (ulong k in model.Keys.Where(k => k < cut).ToList()) model.Remove(k);
                        Assert.Equal(before - model.Count, removed);
                    }

                    break;
            }

            Assert.Equal(model.Count, map.Count);
        }

        foreach (var (key, expected) in model)
        {
            ref long value = ref map.GetValueRefOrNullRef(key);
            Assert.False(Unsafe.IsNullRef(ref value));
            Assert.Equal(expected, value);
        }

        for (ulong key = 0; key < (ulong)keySpace; key++) Assert.Equal(model.ContainsKey(key), map.ContainsKey(key));
    }

    [Fact]
    public void RemoveWhere_MostRemoved_ShrinksAndKeepsTheRest()
    {
        var map = new FlatMap<ulong, int, PackedKey>();
        for (int i = 0; i < 100_000; i++) map.Set((ulong)i, i % 100);
        int grown = map.Capacity;

        int removed = map.RemoveWhere(static (_, window, before) => window < before, 99);

        Assert.Equal(99_000, removed);
        Assert.Equal(1_000, map.Count);
        Assert.True(map.Capacity < grown / 8, $"capacity {map.Capacity} after eviction, {grown} before");
        for (int i = 0; i < 100_000; i++) Assert.Equal(i % 100 == 99, map.TryGetValue((ulong)i, out int w) && w == 99);
    }

    [Fact]
    public void Clear_KeepsSlots_ForgetsKeys()
    {
        var map = new FlatMap<TupleKey, string, TupleKeyOps>();
        var a = new TupleKey(IpAddr.FromV4(0x0A000001), IpAddr.Parse("2001:db8::1"), 443, Protocol.Tcp);
        var b = a with { Port = 80 };
        map.Set(a, "a");
        map.Set(b, "b");
        int capacity = map.Capacity;

        map.Clear();

        Assert.Equal(0, map.Count);
        Assert.Equal(capacity, map.Capacity);
        Assert.False(map.ContainsKey(a));
        Assert.False(map.TryGetValue(b, out _));
        map.Set(b, "b2");
        Assert.True(map.TryGetValue(b, out string? v));
        Assert.Equal("b2", v);
    }

    [Fact]
    public void Prefetch_EmptyAndFilledTables_ChangesNothing()
    {
        // A hint on an empty table (no slots yet), a held key, a missing key, and a window not made yet.
        var map = new FlatMap<ulong, int, PackedKey>();
        var set = new HashSet64();
        var windows = new WindowedValues<ulong, int, PackedKey>(10);
        map.Prefetch(7);
        set.Prefetch(FlatHash.Mix(7));
        windows.Prefetch(3, 7);
        Assert.Equal((0, 0, 0, 0), (map.Count, map.Capacity, set.Capacity, windows.WindowCount));

        map.Set(7, 70);
        set.Add(FlatHash.Mix(7));
        windows.GetOrAdd(3, 7, out _) = 1;
        map.Prefetch(7);
        map.Prefetch(8);
        set.Prefetch(FlatHash.Mix(7));
        set.Prefetch(FlatHash.Mix(8));
        windows.Prefetch(3, 7);
        windows.Prefetch(4, 7);
        Assert.Equal((1, 1, 1), (map.Count, set.Count, windows.WindowCount));
        Assert.True(map.TryGetValue(7, out int v) && v == 70);
        Assert.True(set.Contains(FlatHash.Mix(7)) && !set.Contains(FlatHash.Mix(8)));
    }

    [Fact]
    public void KeyOps_EqualKeysHashEqual_DifferentFieldsDiffer()
    {
        var t = new TupleKey(IpAddr.FromV4(1), IpAddr.FromV4(2), 80, Protocol.Tcp);
        Assert.Equal(default(TupleKeyOps).Hash(t), default(TupleKeyOps).Hash(new TupleKey(IpAddr.FromV4(1), IpAddr.FromV4(2), 80, Protocol.Tcp)));
        Assert.True(default(TupleKeyOps).Equal(t, t with { }));
        Assert.False(default(TupleKeyOps).Equal(t, t with { Protocol = Protocol.Udp }));
        Assert.NotEqual(default(TupleKeyOps).Hash(t), default(TupleKeyOps).Hash(t with { Source = IpAddr.FromV4(2), Destination = IpAddr.FromV4(1) }));
        Assert.True(PackedKeys.TryTuple(IpAddr.FromV4(1), IpAddr.FromV4(2), 80, Protocol.Tcp, out var v4));
        Assert.True(PackedKeys.TryTuple(IpAddr.FromV4(1), IpAddr.FromV4(2), 80, Protocol.Udp, out var v4Udp));
        Assert.False(default(V4TupleKeyOps).Equal(v4, v4Udp));
        Assert.NotEqual(default(V4TupleKeyOps).Hash(v4), default(V4TupleKeyOps).Hash(v4Udp));
        var p = (IpAddr.FromV4(1), IpAddr.FromV4(2));
        Assert.NotEqual(default(AddressPairKey).Hash(p), default(AddressPairKey).Hash((p.Item2, p.Item1)));
        Assert.False(default(AddressPairKey).Equal(p, (p.Item2, p.Item1)));
    }

    [Theory]
    [InlineData(1, 0UL)]
    [InlineData(2, 0xABCD_0123_0000_0000UL)]
    [InlineData(3, 0xFFFF_FFFF_0000_0000UL)]
    public void HashSet64_RandomKeys_MatchHashSet(int seed, ulong highBits)
    {
        // Keys are hashes (their high bits pick the slot): well-mixed ones, and 64 that share highBits, hence their home
        // slot at every capacity (with all ones, at the end of the table, so that their run wraps around).
        var random = new Random(seed);
        var set = new HashSet64();
        var model = new HashSet<ulong>();
        for (int step = 0; step < 50_000; step++)
        {
            ulong key = random.Next(4) switch
            {
                0 => 0,
                1 => highBits | (uint)random.Next(64),
                _ => FlatHash.Mix((ulong)random.NextInt64(1, 30_000)),
            };
            if (random.Next(3) == 0) Assert.Equal(model.Contains(key), set.Contains(key));
            else Assert.Equal(model.Add(key), set.Add(key));
            Assert.Equal(model.Count, set.Count);
            if (step == 40_000)
            {
                set.Clear();
                model.Clear();
                Assert.False(set.Contains(0));
            }
        }

        foreach (ulong key in model) Assert.True(set.Contains(key));
    }

    [Fact]
    public void TwoGenerationSet_ForgetsTheGenerationBeforeLast()
    {
        var set = new TwoGenerationSet(4);
        for (ulong k = 1; k <= 4; k++) set.Add(k);
        set.Add(5); // the young generation (1-4) becomes the old one
        Assert.True(set.Contains(1));
        Assert.True(set.Contains(5));
        for (ulong k = 6; k <= 9; k++) set.Add(k); // 5-8 fill the young one, 9 swaps again: 1-4 are gone
        Assert.False(set.Contains(1));
        Assert.False(set.Contains(4));
        Assert.True(set.Contains(5));
        Assert.True(set.Contains(9));
        set.Add(9); // already young: no swap
        Assert.True(set.Contains(8));
    }
}

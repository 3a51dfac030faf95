using System.Runtime.CompilerServices;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;

namespace SlipsP2P.Ingest.Tests;

public sealed class FlowIndexTests
{
    private static FlowKey Key(int i, ushort port = 80) =>
        FlowKey.Create(IpAddr.FromV4(0x0A000000u + (uint)i), (ushort)(1024 + (i % 60000)), IpAddr.FromV4(0xC0A80001u), port, 6);

    /// <summary>Values are positions in a key array, as the flow table's values are slots holding their tuple.</summary>
    private readonly struct ArrayKeys(FlowKey[] keys) : IFlowKeys
    {
        public bool Matches(int value, in FlowKey key) => keys[value].Equals(key);
    }

    private static FlowKey[] Keys(int count)
    {
        var keys = new FlowKey[count];
        for (int i = 0; i < count; i++) keys[i] = Key(i);
        return keys;
    }

    [Fact]
    public void GetValueRefOrAddDefault_BothDirections_FindTheSameEntry()
    {
        IpAddr a = IpAddr.FromV4(0x0A000001u), b = IpAddr.FromV4(0x0A000002u);
        FlowKey[] keys = [FlowKey.Create(a, 40000, b, 80, 6)];
        var index = new FlowIndex();
        index.GetValueRefOrAddDefault(keys[0], new ArrayKeys(keys), out bool existed) = 0;
        Assert.False(existed);

        index.GetValueRefOrAddDefault(FlowKey.Create(b, 80, a, 40000, 6), new ArrayKeys(keys), out existed);
        Assert.True(existed);
        Assert.Equal(1, index.Count);
        Assert.False(index.TryGetValue(FlowKey.Create(a, 40000, b, 80, 17), new ArrayKeys(keys), out _)); // another protocol is another flow
    }

    [Fact]
    public void Matches_EitherOrderOfTheTuple_OnlyThatFlow()
    {
        IpAddr a = IpAddr.FromV4(0x0A000001u), b = IpAddr.FromV4(0x0A000002u);
        FlowKey key = FlowKey.Create(b, 80, a, 40000, 6);
        Assert.True(key.Matches(a, 40000, b, 80, 6));
        Assert.True(key.Matches(b, 80, a, 40000, 6));
        Assert.False(key.Matches(a, 80, b, 40000, 6));
        Assert.False(key.Matches(a, 40000, b, 80, 17));
        Assert.False(key.Matches(a, 40000, IpAddr.FromV4(0x0A000003u), 80, 6));
    }

    [Fact]
    public void Add_PastThreeQuarters_GrowsAndKeepsEveryValue()
    {
        FlowKey[] keys = Keys(10_000);
        var index = new FlowIndex();
        int initial = index.Capacity;
        Assert.True(initial * 3 / 4 >= FlowIndex.MinCapacity);
        for (int i = 0; i < keys.Length; i++) index.GetValueRefOrAddDefault(keys[i], new ArrayKeys(keys), out _) = i;

        Assert.Equal(10_000, index.Count);
        Assert.True(index.Capacity > initial);
        Assert.True(index.Capacity * 3 / 4 >= 10_000);
        Assert.Equal(0, index.Capacity & (index.Capacity - 1));
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.True(index.TryGetValue(keys[i], new ArrayKeys(keys), out int v));
            Assert.Equal(i, v);
        }
    }

    [Fact]
    public void Remove_EveryOtherKey_LeavesTheRestFindable()
    {
        FlowKey[] keys = Keys(5_000);
        var index = new FlowIndex();
        for (int i = 0; i < keys.Length; i++) index.GetValueRefOrAddDefault(keys[i], new ArrayKeys(keys), out _) = i;
        for (int i = 0; i < keys.Length; i += 2) Assert.True(index.Remove(keys[i], new ArrayKeys(keys)));

        Assert.Equal(2_500, index.Count);
        for (int i = 0; i < keys.Length; i++)
        {
            bool found = index.TryGetValue(keys[i], new ArrayKeys(keys), out int v);
            Assert.Equal(i % 2 == 1, found);
            if (found) Assert.Equal(i, v);
        }

        Assert.False(index.Remove(keys[0], new ArrayKeys(keys)));
        Assert.True(Unsafe.IsNullRef(ref index.GetValueRefOrNullRef(keys[0], new ArrayKeys(keys))));
    }

    [Fact]
    public void Remove_InCollidingRunsThatWrapAround_KeepsEveryOtherKeyReachable()
    {
        // A small index holds few keys, so runs of neighbouring entries form and wrap past the end. Adding and
        // removing at random, in every order, must keep each live key at its value (backward shift done right).
        var pool = new FlowKey[72];
        for (int i = 0; i < pool.Length; i++) pool[i] = Key(i / 3, (ushort)(i % 3));
        var rng = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            var index = new FlowIndex();
            var live = new HashSet<int>();
            for (int step = 0; step < 400; step++)
            {
                int k = rng.Next(pool.Length);
                if (rng.Next(3) == 0)
                {
                    Assert.Equal(live.Remove(k), index.Remove(pool[k], new ArrayKeys(pool)));
                }
                else
                {
                    ref int v = ref index.GetValueRefOrAddDefault(pool[k], new ArrayKeys(pool), out bool existed);
                    Assert.Equal(live.Contains(k), existed);
                    if (existed) Assert.Equal(k, v);
                    v = k;
                    live.Add(k);
                }

                Assert.Equal(live.Count, index.Count);
            }

            foreach (int k in live)
            {
                Assert.True(index.TryGetValue(pool[k], new ArrayKeys(pool), out int got));
                Assert.Equal(k, got);
            }
        }
    }

    [Fact]
    public void TrimExcess_AfterMostKeysAreRemoved_ShrinksAndKeepsTheRest()
    {
        FlowKey[] keys = Keys(20_000);
        var index = new FlowIndex();
        for (int i = 0; i < keys.Length; i++) index.GetValueRefOrAddDefault(keys[i], new ArrayKeys(keys), out _) = i;
        int grown = index.Capacity;
        for (int i = 100; i < keys.Length; i++) index.Remove(keys[i], new ArrayKeys(keys));

        index.TrimExcess();

        Assert.True(index.Capacity < grown / 64, $"{index.Capacity} of {grown}");
        Assert.Equal(100, index.Count);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(index.TryGetValue(keys[i], new ArrayKeys(keys), out int v));
            Assert.Equal(i, v);
        }
    }

    [Fact]
    public void Clear_DropsEveryKey()
    {
        FlowKey[] keys = Keys(1_000);
        var index = new FlowIndex();
        for (int i = 0; i < keys.Length; i++) index.GetValueRefOrAddDefault(keys[i], new ArrayKeys(keys), out _) = i;
        index.Clear();
        Assert.Equal(0, index.Count);
        Assert.Equal(new FlowIndex().Capacity, index.Capacity);
        Assert.False(index.TryGetValue(keys[5], new ArrayKeys(keys), out _));
    }
}

using System.Runtime.CompilerServices;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;

namespace SlipsP2P.Ingest.Tests;

public sealed class FlowIndexTests
{
    private static FlowKey Key(int i, ushort port = 80) =>
        FlowKey.Create(IpAddr.FromV4(0x0A000000u + (uint)i), (ushort)(1024 + (i % 60000)), IpAddr.FromV4(0xC0A80001u), port, 6);

    [Fact]
    public void GetValueRefOrAddDefault_BothDirections_FindTheSameEntry()
    {
        var index = new FlowIndex();
        IpAddr a = IpAddr.FromV4(0x0A000001u), b = IpAddr.FromV4(0x0A000002u);
        index.GetValueRefOrAddDefault(FlowKey.Create(a, 40000, b, 80, 6), out bool existed) = 7;
        Assert.False(existed);

        ref int value = ref index.GetValueRefOrAddDefault(FlowKey.Create(b, 80, a, 40000, 6), out existed);
        Assert.True(existed);
        Assert.Equal(7, value);
        Assert.Equal(1, index.Count);
        Assert.False(index.TryGetValue(FlowKey.Create(a, 40000, b, 80, 17), out _)); // another protocol is another flow
    }

    [Fact]
    public void Add_PastThreeQuarters_GrowsAndKeepsEveryValue()
    {
        var index = new FlowIndex();
        int initial = index.Capacity;
        Assert.True(initial * 3 / 4 >= FlowIndex.MinCapacity);
        for (int i = 0; i < 10_000; i++) index.GetValueRefOrAddDefault(Key(i), out _) = i;

        Assert.Equal(10_000, index.Count);
        Assert.True(index.Capacity > initial);
        Assert.True(index.Capacity * 3 / 4 >= 10_000);
        Assert.Equal(0, index.Capacity & (index.Capacity - 1));
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(index.TryGetValue(Key(i), out int v));
            Assert.Equal(i, v);
        }
    }

    [Fact]
    public void Remove_EveryOtherKey_LeavesTheRestFindable()
    {
        var index = new FlowIndex();
        for (int i = 0; i < 5_000; i++) index.GetValueRefOrAddDefault(Key(i), out _) = i;
        for (int i = 0; i < 5_000; i += 2) Assert.True(index.Remove(Key(i)));

        Assert.Equal(2_500, index.Count);
        for (int i = 0; i < 5_000; i++)
        {
            bool found = index.TryGetValue(Key(i), out int v);
            Assert.Equal(i % 2 == 1, found);
            if (found) Assert.Equal(i, v);
        }

        Assert.False(index.Remove(Key(0)));
        Assert.True(Unsafe.IsNullRef(ref index.GetValueRefOrNullRef(Key(0))));
    }

    [Fact]
    public void Remove_InCollidingRunsThatWrapAround_KeepsEveryOtherKeyReachable()
    {
        // Keys whose hashes share the low bits land in one probe run; a small index makes runs wrap past the end.
        // Removing from the middle of such runs, in every order, must shift the later entries back correctly.
        var rng = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            var index = new FlowIndex();
            var live = new Dictionary<FlowKey, int>();
            for (int step = 0; step < 400; step++)
            {
                FlowKey k = Key(rng.Next(24), (ushort)rng.Next(3));
                if (rng.Next(3) == 0)
                {
                    Assert.Equal(live.Remove(k), index.Remove(k));
                }
                else
                {
                    ref int v = ref index.GetValueRefOrAddDefault(k, out bool existed);
                    Assert.Equal(live.ContainsKey(k), existed);
                    v = step;
                    live[k] = step;
                }

                Assert.Equal(live.Count, index.Count);
            }

            foreach (var (k, v) in live)
            {
                Assert.True(index.TryGetValue(k, out int got));
                Assert.Equal(v, got);
            }
        }
    }

    [Fact]
    public void TrimExcess_AfterMostKeysAreRemoved_ShrinksAndKeepsTheRest()
    {
        var index = new FlowIndex();
        for (int i = 0; i < 20_000; i++) index.GetValueRefOrAddDefault(Key(i), out _) = i;
        int grown = index.Capacity;
        for (int i = 100; i < 20_000; i++) index.Remove(Key(i));

        index.TrimExcess();

        Assert.True(index.Capacity < grown / 64, $"{index.Capacity} of {grown}");
        Assert.Equal(100, index.Count);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(index.TryGetValue(Key(i), out int v));
            Assert.Equal(i, v);
        }
    }

    [Fact]
    public void Clear_DropsEveryKey()
    {
        var index = new FlowIndex();
        for (int i = 0; i < 1_000; i++) index.GetValueRefOrAddDefault(Key(i), out _) = i;
        index.Clear();
        Assert.Equal(0, index.Count);
        Assert.Equal(new FlowIndex().Capacity, index.Capacity);
        Assert.False(index.TryGetValue(Key(5), out _));
    }
}

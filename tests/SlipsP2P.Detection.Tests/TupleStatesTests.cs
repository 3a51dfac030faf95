using SlipsP2P.Detection.Detectors;

namespace SlipsP2P.Detection.Tests;

public class TupleStatesTests
{
    private sealed record State(int Window) : IWindowedState;

    [Fact]
    public void EvictBefore_DropsOnlyOlderWindows()
    {
        var tuples = new Dictionary<TupleKey, State>();
        for (int i = 0; i < 100; i++)
        {
            tuples[new TupleKey(IpAddr.FromV4((uint)i), IpAddr.FromV4(0x0A000001), (ushort)i, Protocol.Tcp)] = new State(1 + (i % 4));
        }

        TupleStates.EvictBefore(tuples, 3);

        Assert.Equal(50, tuples.Count);
        Assert.All(tuples.Values, s => Assert.True(s.Window >= 3));
        TupleStates.EvictBefore(tuples, 100);
        Assert.Empty(tuples);
    }
}

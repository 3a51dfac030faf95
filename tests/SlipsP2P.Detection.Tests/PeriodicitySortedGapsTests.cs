using SlipsP2P.Detection.Detectors.Periodicity;

namespace SlipsP2P.Detection.Tests;

/// <summary>The periodicity state keeps its gap ring sorted incrementally; Judge reads it without sorting.</summary>
public class PeriodicitySortedGapsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Add_ManyGapsWithRepeats_SortedGapsAreTheLastRingGapsInOrder(int seed)
    {
        var rng = new Random(seed);
        var state = new PeriodicityDetector.TupleState();
        state.Reset(1);
        var all = new List<double>();
        double t = 1_700_000_000;
        Assert.True(state.Add(t));
        for (int i = 0; i < 500; i++)
        {
            // The sorted copy is made lazily (first asked for after 40 gaps) and maintained from then on.
            bool check = i >= 40;
            // Repeated values (whole seconds) and jitter, as beacons and retries give.
            double gap = rng.Next(4) == 0 ? 60 : Math.Round(rng.NextDouble() * 120, rng.Next(3));
            double previous = t;
            t += gap;
            Assert.True(state.Add(t));
            all.Add(t - previous); // what the state sees: the difference of two timestamps

            double[] expected = [.. all.TakeLast(PeriodicityDetector.MaxGaps).Order()];
            if (check) Assert.Equal(expected, state.SortedGaps().ToArray());
        }
    }

    [Fact]
    public void Judge_AfterRingWrapsAndReset_SameAsSortingTheGaps()
    {
        var o = new DetectorOptions();
        var state = new PeriodicityDetector.TupleState();
        state.Reset(1);
        double t = 0;
        state.Add(t);
        for (int i = 0; i < 100; i++) state.Add(t += i % 10 == 0 ? 300 : 60);
        Assert.True(PeriodicityDetector.Judge(state, o, out double period, out double fraction));
        Assert.Equal(60, period);
        Assert.Equal(29 / 32.0, fraction, 9);

        state.Reset(2);
        Assert.Equal(0, state.SortedGaps().Length);
        state.Add(0);
        state.Add(10);
        state.Add(30);
        Assert.Equal([10.0, 20.0], state.SortedGaps().ToArray());
        Assert.False(PeriodicityDetector.Judge(state, o, out period, out fraction));
        Assert.Equal(15, period);
    }
}

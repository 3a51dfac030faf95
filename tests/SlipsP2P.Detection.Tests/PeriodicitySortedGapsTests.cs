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

    [Theory]
    [InlineData(6)]
    [InlineData(17)]
    public void Add_RingGrowingFromFourGaps_SortedGapsAtEveryStepAndAfterReset(int beforeReset)
    {
        // Issue 5: the ring starts at 4 gaps and doubles to 32; the sorted copy is asked for from the first gap on,
        // across each growth, and again after a reset that leaves a partly grown ring.
        var state = new PeriodicityDetector.TupleState();
        state.Reset(1);
        var all = new List<double>();
        double t = 0;
        state.Add(t);
        for (int i = 0; i < beforeReset; i++)
        {
            double gap = 1 + ((i * 7) % 11);
            state.Add(t += gap);
            all.Add(gap);
            Assert.Equal([.. all.Order()], state.SortedGaps().ToArray());
        }

        state.Reset(2);
        all.Clear();
        state.Add(t);
        for (int i = 0; i < 45; i++)
        {
            double gap = 2 + ((i * 5) % 13);
            state.Add(t += gap);
            all.Add(gap);
            Assert.Equal([.. all.TakeLast(PeriodicityDetector.MaxGaps).Order()], state.SortedGaps().ToArray());
            Assert.Equal(Math.Min(i + 1, PeriodicityDetector.MaxGaps), state.GapCount);
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

using SlipsP2P.Detection.Tests.Support;

namespace SlipsP2P.Detection.Tests;

/// <summary>Memory bounded by the traffic's state, not its length: evicted windows leave nothing behind unless asked.</summary>
public sealed class MemoryBoundTests
{
    private const int Windows = 12;

    [Theory]
    [InlineData(true, Windows)]
    [InlineData(false, 3)]
    public void OnEvent_ManyWindows_SummariesKeptOnlyWhenAsked(bool keep, int expectedWindows)
    {
        var pipeline = new AnalysisPipeline(new AnalysisOptions { TimeWindowWidth = 60 }, new RecordingSink()) { KeepSummaries = keep };
        for (int w = 0; w < Windows; w++)
        {
            for (int i = 0; i < 20; i++) pipeline.OnEvent(TestFlows.Flow("10.0.0.1", $"10.0.1.{i}", 443, 1_700_000_000 + (w * 60) + i));
        }

        pipeline.Finish();
        var windows = new HashSet<int>();
        foreach (var p in pipeline.Profiles) windows.Add(p.TimeWindow);
        var tupleWindows = new HashSet<int>();
        foreach (var t in pipeline.Tuples) tupleWindows.Add(t.TimeWindow);

        // Live: the current window and the two before it (dropped two windows after they close).
        Assert.Equal(expectedWindows, windows.Count);
        Assert.Equal(expectedWindows, tupleWindows.Count);
        Assert.Contains(Windows, windows); // windows are numbered from 1: the last one is always there
        Assert.Equal(Windows * 20, pipeline.Stats.Flows);
    }
}

using SlipsP2P.Detection.Tests.Support;
using SlipsP2P.Testing;

namespace SlipsP2P.Detection.Tests;

/// <summary>Profile summaries and tuple letters are only for printing: turning them off changes no detection.</summary>
public sealed class BuildSummariesTests
{
    private static (RecordingSink Sink, AnalysisPipeline Pipeline) Analyse(IEnumerable<NetEvent> records, bool build)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink) { BuildSummaries = build, KeepSummaries = build };
        foreach (var r in records) p.OnEvent(r);
        p.Finish();
        return (sink, p);
    }

    private static string[] Evidence(RecordingSink sink) =>
        [.. sink.Evidence.Select(e => $"{e.Type}|{e.Attacker}|{e.Victim}|{e.TimeWindow}|{e.ThreatLevel}|{e.Confidence}|{e.Description}")];

    [Fact]
    public void OnEvent_SummariesOff_ProfilesCountedButNoSummariesOrLetters()
    {
        var flows = Enumerable.Range(0, 50).Select(i => TestFlows.Flow($"10.0.0.{i % 5}", $"93.184.216.{i}", 443, 1_700_000_000 + i, established: true)).ToList();
        var (_, off) = Analyse(flows, build: false);
        var (_, on) = Analyse(flows, build: true);
        Assert.Empty(off.Profiles);
        Assert.Empty(off.Tuples);
        Assert.NotEmpty(on.Tuples);
        Assert.Equal(5, off.Stats.Profiles);
        Assert.Equal(on.Stats.Profiles, off.Stats.Profiles);
    }

    [Theory]
    [InlineData("test3-mixed.binetflow")]
    [InlineData("test4-malicious.binetflow")]
    public void OnEvent_SlipsDatasetSummariesOff_SameEvidenceAndAlerts(string dataset)
    {
        var flows = BinetflowFile.Read(Requires.Dataset(dataset));
        var (off, _) = Analyse(flows, build: false);
        var (on, _) = Analyse(flows, build: true);
        Assert.NotEmpty(on.Evidence);
        Assert.Equal(Evidence(on), Evidence(off));
        Assert.Equal(on.Alerts.Count, off.Alerts.Count);
    }
}

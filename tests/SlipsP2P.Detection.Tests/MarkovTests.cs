using SlipsP2P.Detection.Behaviour;
using SlipsP2P.Detection.Detectors.MarkovModels;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class MarkovTests
{
    // Training strings made the way the profiler writes them: a strongly periodic small HTTP beacon, and bursty browsing.
    private static readonly string s_beacon = Letters(Every(4, 25));
    private static readonly string s_browsing = Letters(Bursts(25, 0.5, 9));

    private static string Letters(IEnumerable<double> starts)
    {
        var letters = new TupleLetters();
        foreach (var ts in starts) letters.Add(ts, 0.2, 480);
        return letters.Letters;
    }

    private static MarkovModel Model(string label, string evidenceType, params string[] strings)
    {
        var m = new MarkovModel(label) { EvidenceType = evidenceType };
        foreach (var s in strings) m.Train(s);
        m.CalibrateThreshold(strings);
        return m;
    }

    private static MarkovModel[] Models() =>
    [
        Model("Botnet-CC-Beacon", EvidenceTypes.CommandAndControlChannel, s_beacon, Letters(Every(30, 15))),
        Model("Normal-Browsing", "", s_browsing, Letters(Bursts(20, 0.3, 12))),
    ];

    /// <summary>Flows from 10.0.0.5 to one web server, starting at the given times, small and short.</summary>
    private static RecordingSink Run(AnalysisOptions options, MarkovModel[] models, IEnumerable<double> starts)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(options, sink, [new MarkovDetector(models)]);
        foreach (var ts in starts) p.OnEvent(Flow("10.0.0.5", "10.77.1.20", 80, ts, established: true, srcBytes: 80, dstBytes: 400, duration: 0.2));
        p.Finish();
        return sink;
    }

    private static IEnumerable<double> Every(double gap, int n) => Enumerable.Range(0, n).Select(i => 100 + (i * gap));

    private static IEnumerable<double> Bursts(int n, double within = 0.6, double pause = 7.5)
    {
        double t = 100;
        for (int i = 0; i < n; i++)
        {
            yield return t;
            t += i % 3 == 2 ? pause + (i % 5) : within;
        }
    }

    [Fact]
    public void Distance_TrainingString_WithinThresholdAndCloserThanOtherModel()
    {
        var models = Models();
        Assert.True(models[0].Distance(s_beacon) <= models[0].Threshold);
        Assert.True(models[0].Distance(s_beacon) < models[1].Distance(s_beacon));
        Assert.True(models[1].Distance(s_browsing) < models[0].Distance(s_browsing));
        Assert.Equal(double.PositiveInfinity, models[0].Distance("5"));
    }

    [Fact]
    public void ToJson_Parse_RoundTripsScores()
    {
        var m = Models()[0];
        var back = MarkovModel.Parse(m.ToJson(), "x.json");
        Assert.Equal(m.Label, back.Label);
        Assert.Equal(m.Threshold, back.Threshold);
        Assert.Equal(m.EvidenceType, back.EvidenceType);
        Assert.Equal(m.Distance(s_browsing), back.Distance(s_browsing), 6);
    }

    [Theory]
    [InlineData("[]", "a model is a JSON object")]
    [InlineData("{\"format\":\"other\"}", "format must be")]
    [InlineData("{\"format\":\"slipsp2p-markov/1\",\"label\":\"x\",\"threshold\":1,\"transitions\":{\"Q\":{}}}", "unknown symbol 'Q'")]
    [InlineData("{\"format\":\"slipsp2p-markov/1\",\"label\":\"x\",\"threshold\":-1,\"transitions\":{}}", "threshold must be positive")]
    [InlineData("{\"format\":\"slipsp2p-markov/1\",\"label\":\"x\",\"threshold\":1,\"transitions\":{\"a\":{\"b\":-3}}}", "out of range")]
    public void Parse_BadModel_NamesFileAndProblem(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => MarkovModel.Parse(json, "bad.json"));
        Assert.StartsWith("bad.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromDirectory_MissingOrEmpty_ClearError()
    {
        Assert.Contains("no such models directory", Assert.Throws<InvalidDataException>(() => MarkovDetector.FromDirectory("/nonexistent/models")).Message,
            StringComparison.Ordinal);
        string dir = Directory.CreateTempSubdirectory("markov").FullName;
        try
        {
            Assert.Contains("no Markov models", Assert.Throws<InvalidDataException>(() => MarkovDetector.FromDirectory(dir)).Message, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "a.json"), Models()[0].ToJson());
            File.WriteAllText(Path.Combine(dir, "b.json"), "{\"format\":\"slipsp2p-markov/1\", broken");
            var e = Assert.Throws<InvalidDataException>(() => MarkovDetector.FromDirectory(dir));
            Assert.Contains("b.json", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void OnFlow_PeriodicBeacon_RaisesCommandAndControlOnce()
    {
        var sink = Run(new AnalysisOptions(), Models(), Every(5, 40));
        var e = Assert.Single(sink.OfType(EvidenceTypes.CommandAndControlChannel));
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
        Assert.Contains("'Botnet-CC-Beacon'", e.Description, StringComparison.Ordinal);
        Assert.Equal("Model", e.Method);
        Assert.Equal((ushort)80, e.Port);
    }

    [Fact]
    public void OnFlow_BurstyBrowsing_ClosestIsNormal_NoEvidence() =>
        Assert.Empty(Run(new AnalysisOptions(), Models(), Bursts(40)).Evidence);

    [Fact]
    public void OnFlow_OnlyBeaconModel_BrowsingOutsideItsThreshold_NoEvidence() =>
        Assert.Empty(Run(new AnalysisOptions(), [Models()[0]], Bursts(40)).Evidence);

    [Fact]
    public void OnFlow_MinLetters_AtAndBelow()
    {
        var o = new AnalysisOptions();
        o.Detectors.MarkovMinLetters = 12;
        Assert.Empty(Run(o, Models(), Every(5, 11)).Evidence);
        var e = Assert.Single(Run(o, Models(), Every(5, 12)).Evidence);
        Assert.Contains("12 letters", e.Description, StringComparison.Ordinal);
        Assert.Equal(0.12, e.Confidence);
    }

    [Fact]
    public void OnFlow_NotEstablished_Ignored()
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [new MarkovDetector(Models())]);
        foreach (var ts in Every(5, 40)) p.OnEvent(Flow("10.0.0.5", "10.77.1.20", 80, ts, established: false));
        Assert.Empty(sink.Evidence);
    }

    [Fact]
    public void RunningScore_EqualsScoreOfProfilerString()
    {
        // The detector scores incrementally; the distance it prints must be the distance of the string -p shows.
        var models = Models();
        var o = new AnalysisOptions();
        o.Detectors.MarkovMinLetters = 30;
        var starts = Every(5, 30).ToList();
        var letters = new TupleLetters();
        foreach (var ts in starts) letters.Add(ts, 0.2, 480);
        var e = Assert.Single(Run(o, models, starts).Evidence);
        string expected = MarkovModel.Format(models[0].Distance(letters.Letters));
        Assert.Contains($"distance {expected} ", e.Description, StringComparison.Ordinal);
    }
}

using SlipsP2P.Detection.Detectors.FlowMl;
using SlipsP2P.Detection.Tests.Support;
using SlipsP2P.Testing;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class FlowMlTests
{
    private static readonly int s_srcBytes = Array.IndexOf(FlowFeatures.Names, "log_src_bytes");

    /// <summary>A model that looks only at log(1 + source bytes): P = sigmoid(log(1 + b) - log(1 + pivot)).</summary>
    private static FlowClassifierModel PivotModel(double pivotBytes, double threshold = 0.5)
    {
        int n = FlowFeatures.Count;
        var mean = new float[n];
        var scale = Enumerable.Repeat(1f, n).ToArray();
        var weights = new float[n];
        weights[s_srcBytes] = 1;
        return new FlowClassifierModel(mean, scale, weights, (float)-Math.Log(1 + pivotBytes), threshold);
    }

    private static RecordingSink Run(FlowClassifierModel model, params FlowRecord[] flows)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [new FlowMlDetector(model)]);
        foreach (var f in flows) p.OnEvent(f);
        return sink;
    }

    [Theory]
    [InlineData("From_malicious-To_malicious-Malware_data_exfiltration-RemcosRAT", 1)]
    [InlineData("Malicious", 1)]
    [InlineData("flow=From-Botnet-V42-UDP-DNS", 1)]
    [InlineData("From_benign-To_benign-Multicast", 0)]
    [InlineData("flow=From-Normal-V42-Stribrek", 0)]
    [InlineData("flow=Background-TCP-Established", -1)]
    [InlineData("Unknown", -1)]
    [InlineData("", -1)]
    public void LabelClass_Labels_MapToClass(string label, int expected) => Assert.Equal(expected, FlowFeatures.LabelClass(label));

    [Fact]
    public void Compute_Flow_FeaturesInOrder()
    {
        var f = Flow("10.0.0.1", "10.0.0.2", 443, 0, established: true, srcPackets: 3, srcBytes: 99, dstBytes: 0, duration: Math.E - 1);
        f.State = ConnState.SF;
        var v = new float[FlowFeatures.Count];
        FlowFeatures.Compute(f, v);
        Assert.Equal(1, v[0], 5); // log(1 + (e - 1))
        Assert.Equal(1, v[Array.IndexOf(FlowFeatures.Names, "tcp")]);
        Assert.Equal((float)Math.Log(100), v[s_srcBytes], 5);
        Assert.Equal(1, v[Array.IndexOf(FlowFeatures.Names, "dport_well_known")]);
        Assert.Equal(1, v[Array.IndexOf(FlowFeatures.Names, "established")]);
        Assert.Equal(0, v[Array.IndexOf(FlowFeatures.Names, "state_attempt")]);
        Assert.Equal(100f / 101f, v[Array.IndexOf(FlowFeatures.Names, "bytes_ratio")], 5);
    }

    [Fact]
    public void OnFlow_AboveAtBelowThreshold()
    {
        var model = PivotModel(999);
        // 999 source bytes: probability exactly 0.5 = threshold: raised; fewer: not; more: raised with higher confidence.
        Assert.Single(Run(model, Flow("10.0.0.1", "8.8.8.8", 443, 1, srcBytes: 999)).Evidence);
        Assert.Empty(Run(model, Flow("10.0.0.1", "8.8.8.8", 443, 1, srcBytes: 998)).Evidence);
        var e = Assert.Single(Run(model, Flow("10.0.0.1", "8.8.8.8", 443, 1, srcBytes: 8999)).Evidence);
        Assert.Equal(EvidenceTypes.MaliciousFlow, e.Type);
        Assert.Equal(ThreatLevel.Low, e.ThreatLevel);
        Assert.Equal(0.9, e.Confidence);
        Assert.Equal("Model", e.Method);
    }

    [Fact]
    public void ToJson_Parse_RoundTrips()
    {
        var m = PivotModel(50, 0.7);
        var back = FlowClassifierModel.Parse(m.ToJson(), "m.json");
        var f = Flow("10.0.0.1", "8.8.8.8", 443, 1, srcBytes: 200);
        Assert.Equal(m.Probability(f), back.Probability(f), 6);
        Assert.Equal(0.7, back.Threshold);
    }

    [Theory]
    [InlineData("{}", "format must be")]
    [InlineData("{\"format\":\"slipsp2p-flow-classifier/1\",\"features\":[\"a\"]}", "expected the")]
    public void Parse_BadModel_NamesFile(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => FlowClassifierModel.Parse(json, "m.json"));
        Assert.StartsWith("m.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WrongThresholdOrNonFinite_Rejected()
    {
        string good = PivotModel(50).ToJson();
        Assert.Contains("threshold", Assert.Throws<InvalidDataException>(() => FlowClassifierModel.Parse(good.Replace("\"threshold\": 0.5", "\"threshold\": 1.5", StringComparison.Ordinal), "m")).Message,
            StringComparison.Ordinal);
        Assert.Contains("no such model file", Assert.Throws<InvalidDataException>(() => FlowClassifierModel.Load("/nonexistent/m.json")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SplitByTime_EachInputSplitAtItsOwnTime()
    {
        // Two inputs years apart, given out of order: each contributes its earliest 70 % to training.
        var a = Enumerable.Range(0, 10).Select(i => new LabelledFlow(Flow("10.0.0.1", "8.8.8.8", 53, 1000 - i), 1)).ToList();
        var b = Enumerable.Range(0, 20).Select(i => new LabelledFlow(Flow("10.0.0.2", "8.8.8.8", 53, 9e8 + i), 0)).ToList();
        var (train, test) = FlowMlEvaluation.SplitByTime([a, b], 0.7);
        Assert.Equal(7 + 14, train.Count);
        Assert.Equal(3 + 6, test.Count);
        Assert.True(train.Where(f => f.Class == 1).Max(f => f.Flow.Timestamp) < test.Where(f => f.Class == 1).Min(f => f.Flow.Timestamp));
        Assert.True(train.Where(f => f.Class == 0).Max(f => f.Flow.Timestamp) < test.Where(f => f.Class == 0).Min(f => f.Flow.Timestamp));
    }

    [Fact]
    public void Evaluate_CountsConfusionAndPrintsTable()
    {
        var model = PivotModel(999);
        var flows = new List<LabelledFlow>
        {
            new(Flow("10.0.0.1", "8.8.8.8", 443, 1, srcBytes: 5000), 1), // TP
            new(Flow("10.0.0.1", "8.8.8.8", 443, 2, srcBytes: 10), 1), // FN
            new(Flow("10.0.0.1", "8.8.8.8", 443, 3, srcBytes: 5000), 0), // FP
            new(Flow("10.0.0.1", "8.8.8.8", 443, 4, srcBytes: 10), 0), // TN
            new(Flow("10.0.0.1", "8.8.8.8", 443, 5, srcBytes: 10), 0), // TN
        };
        var c = FlowMlEvaluation.Evaluate(model, flows);
        Assert.Equal((1, 1, 2, 1), (c.TruePositives, c.FalsePositives, c.TrueNegatives, c.FalseNegatives));
        Assert.Equal(0.5, c.Precision);
        Assert.Equal(0.5, c.Recall);
        Assert.Equal(2 / 3.0, c.BenignRecall, 9);
        Assert.Contains("malicious   0.500      0.500", c.Table(), StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedModel_LoadsAndScores()
    {
        string path = Path.Combine(Requires.RepoRoot, "config", "models", "flow-classifier.json");
        if (!File.Exists(path)) Requires.Missing("the shipped flow classifier is not in config/models yet: " + path);
        var model = FlowClassifierModel.Load(path);
        double p = model.Probability(Flow("10.0.0.1", "8.8.8.8", 443, 1, established: true, srcBytes: 500, dstBytes: 5000, duration: 1));
        Assert.InRange(p, 0, 1);
        Assert.False(string.IsNullOrEmpty(model.Description));
    }
}

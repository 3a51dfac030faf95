using SlipsP2P.Detection.Detectors.HttpsAnomaly;
using static SlipsP2P.Detection.Tests.HeuristicConnectionTests;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class HttpsAnomalyTests
{
    private const double T0 = 1_700_000_000;

    private static FlowRecord Https(double ts, long bytes, double duration = 1.0, string dst = "93.184.216.34") =>
        Flow("10.0.0.5", dst, 443, ts, established: true, srcBytes: bytes / 4, dstBytes: bytes - (bytes / 4), duration: duration);

    /// <summary>Three hours of one flow a minute around 20 kB, jittered deterministically.</summary>
    private static List<NetEvent> Baseline(int minutes = 180)
    {
        var list = new List<NetEvent>();
        for (int i = 0; i < minutes; i++) list.Add(Https(T0 + (i * 60), 20_000 + ((i * 7919) % 4000), 1.0 + ((i % 5) * 0.1)));
        return list;
    }

    [Fact]
    public void HttpsAnomaly_SteadyHost_NoEvidence() =>
        Assert.Empty(Run(new HttpsAnomalyDetector(), null, [.. Baseline()]).Evidence);

    [Fact]
    public void HttpsAnomaly_SuddenHugeFlowAfterTraining_MaliciousFlowWithReason()
    {
        var records = Baseline();
        records.Add(Https(T0 + (181 * 60), 50_000_000, 1.2));
        var e = Assert.Single(Run(new HttpsAnomalyDetector(), null, [.. records]).Evidence);
        Assert.Equal(EvidenceTypes.MaliciousFlow, e.Type);
        Assert.Contains("bytes 50000000", e.Description, StringComparison.Ordinal);
        Assert.Equal(ThreatLevel.Medium, e.ThreatLevel);
        Assert.Equal(Ip("10.0.0.5"), e.Attacker);
    }

    [Fact]
    public void HttpsAnomaly_HugeFlowDuringTraining_NoEvidence()
    {
        var records = Baseline(60);
        records.Add(Https(T0 + (61 * 60), 50_000_000));
        Assert.Empty(Run(new HttpsAnomalyDetector(), null, [.. records]).Evidence);
    }

    [Fact]
    public void HttpsAnomaly_SlowDrift_NoEvidenceButSameStepSuddenlyAlarms()
    {
        // After training the host's flows grow 0.2% a flow for 600 flows (10 hours, 3.3 times in all): the EWMA follows.
        var slow = Baseline();
        double size = 20_000;
        for (int i = 0; i < 600; i++)
        {
            size *= 1.002;
            slow.Add(Https(T0 + ((181 + i) * 60), (long)size, 1.2));
        }

        var slowSink = Run(new HttpsAnomalyDetector(), null, [.. slow]);
        Assert.True(slowSink.Evidence.Count == 0, string.Join(" | ", slowSink.Evidence.Select(e => e.Description)));

        var sudden = Baseline();
        sudden.Add(Https(T0 + (181 * 60), (long)size, 1.2));
        Assert.Single(Run(new HttpsAnomalyDetector(), null, [.. sudden]).Evidence);
    }

    [Fact]
    public void HttpsAnomaly_ZThresholdFromOptions_Respected()
    {
        var records = Baseline();
        records.Add(Https(T0 + (181 * 60), 40_000, 1.2));
        Assert.Empty(Run(new HttpsAnomalyDetector(), null, [.. records]).Evidence);
        var o = new AnalysisOptions();
        o.HttpsAnomaly.FlowZScoreThreshold = 0.5;
        Assert.NotEmpty(Run(new HttpsAnomalyDetector(), o, [.. records]).Evidence);
    }

    [Fact]
    public void HttpsAnomaly_NewJa3AfterTraining_Evidence()
    {
        var records = Baseline();
        records.Insert(1, new TlsRecord { Source = Ip("10.0.0.5"), Destination = Ip("93.184.216.34"), Timestamp = T0 + 1, Ja3 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ServerName = "example.com" });
        records.Add(new TlsRecord { Source = Ip("10.0.0.5"), Destination = Ip("93.184.216.34"), Timestamp = T0 + (181 * 60), Ja3 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ServerName = "other.example.net" });
        Assert.Empty(Run(new HttpsAnomalyDetector(), null, [.. records]).Evidence);
        records.Add(new TlsRecord { Source = Ip("10.0.0.5"), Destination = Ip("6.6.6.6"), Timestamp = T0 + (182 * 60), Ja3 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", ServerName = "x.test" });
        var e = Assert.Single(Run(new HttpsAnomalyDetector(), null, [.. records]).Evidence);
        Assert.Contains("new JA3 bbbb", e.Description, StringComparison.Ordinal);
        Assert.Contains("new server name x.test", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpsAnomaly_HourWithManyMoreFlows_HourlyReason()
    {
        var records = Baseline(300);
        // Hour 6: 400 flows instead of 60.
        for (int i = 0; i < 400; i++) records.Add(Https(T0 + (300 * 60) + (i * 9), 21_000, 1.1));
        records.Add(Https(T0 + (7 * 3600) + 10, 21_000, 1.1));
        var sink = Run(new HttpsAnomalyDetector(), null, [.. records]);
        Assert.Contains(sink.Evidence, e => e.Description.Contains("HTTPS flows in hour", StringComparison.Ordinal));
    }

    [Fact]
    public void RunningStats_WelfordMatchesTwoPass()
    {
        var s = new RunningStats();
        double[] xs = [2, 4, 4, 4, 5, 5, 7, 9];
        foreach (var x in xs) s.AddWelford(x);
        Assert.Equal(5, s.Mean, 10);
        Assert.Equal(32.0 / 7, s.Variance, 10);
    }
}

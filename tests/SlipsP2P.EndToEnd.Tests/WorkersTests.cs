using System.Text.Json;
using System.Text.Json.Nodes;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// slips --workers N (issue 5): the same alerts.json (but for each run's random ids and creation times) and the same
/// conn.log (but for its #open/#close stamps) for 1, 2 and 3 workers, on the samples, a Slips dataset capture and a
/// generated capture.
/// </summary>
public sealed class WorkersTests
{
    private static readonly JsonSerializerOptions s_compact = new() { WriteIndented = false };

    public static TheoryData<string> Samples => new() { "samples/scan.pcap", "samples/ssh-bruteforce.pcap", "samples/benign.pcap" };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Analyze_Sample_SameAlertsAndFlowsForOneTwoAndThreeWorkers(string sample) =>
        AssertSameOutputs(Path.Combine(Requires.RepoRoot, sample), expectEvidence: !sample.Contains("benign", StringComparison.Ordinal));

    [Theory]
    [InlineData("test7-malicious.pcap")]
    [InlineData("test19-malicious-ssh/malicious-ssh-bruteforce.pcap")]
    public void Analyze_SlipsDatasetCapture_SameAlertsAndFlowsForOneTwoAndThreeWorkers(string dataset) =>
        AssertSameOutputs(Requires.Dataset(dataset), expectEvidence: true);

    [Fact]
    public void Analyze_GeneratedCapture_SameAlertsAndFlowsForOneTwoAndThreeWorkers()
    {
        string dir = CliRunner.NewTempDirectory("workers-gen");
        string pcap = Path.Combine(dir, "gen.pcap");
        var (exit, stdout, stderr) = Requires.Run(CliRunner.SlipsPath,
            CliRunner.JoinArguments(["tools", "gen-pcap", "-o", pcap, "--seed", "3", "--packets", "40000"]), CliRunner.DefaultTimeout);
        Assert.True(exit == 0, $"gen-pcap exited {exit}: {stdout}{stderr}");
        AssertSameOutputs(pcap, expectEvidence: true);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Analyze_BadWorkerCount_ExitsWithUsageError()
    {
        string dir = CliRunner.NewTempDirectory("workers-bad");
        var run = CliRunner.Analyze(Path.Combine(Requires.RepoRoot, "samples/scan.pcap"), dir, ["--workers", "0", "--no-progress"]);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("parameters.workers", run.Stderr, StringComparison.Ordinal);
        run.DeleteOutput();
    }

    private static void AssertSameOutputs(string input, bool expectEvidence)
    {
        CliResult? baseline = null;
        string baseAlerts = "", baseConn = "";
        foreach (int n in new[] { 1, 2, 3 })
        {
            string dir = CliRunner.NewTempDirectory($"workers-{n}");
            var run = CliRunner.Analyze(input, dir, ["--workers", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "--write-flows", "--no-progress"]);
            Assert.True(run.ExitCode == 0, run.Describe());
            string alerts = NormalizedAlerts(Path.Combine(dir, "alerts.json"));
            string conn = string.Join('\n', File.ReadLines(Path.Combine(dir, "conn.log")).Where(l => !l.StartsWith("#open", StringComparison.Ordinal) && !l.StartsWith("#close", StringComparison.Ordinal)));
            if (baseline is null)
            {
                baseline = run;
                baseAlerts = alerts;
                baseConn = conn;
                Assert.True(!expectEvidence || run.Records.Any(r => r.IsEvidence), "no evidence at all with 1 worker: " + run.Describe());
                Assert.Contains("\tC", conn, StringComparison.Ordinal);
            }
            else
            {
                Assert.True(baseAlerts == alerts, $"{n} workers: alerts.json differs from 1 worker's ({run.OutputDirectory} vs {baseline.OutputDirectory})");
                Assert.True(baseConn == conn, $"{n} workers: conn.log differs from 1 worker's ({run.OutputDirectory} vs {baseline.OutputDirectory})");
                run.DeleteOutput();
            }
        }

        baseline!.DeleteOutput();
    }

    /// <summary>alerts.json with each run's own values taken out: CreateTime, and the random IDs (renumbered by first use, CorrelID too).</summary>
    private static string NormalizedAlerts(string path)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        string Id(string id) => ids.TryGetValue(id, out var n) ? n : ids[id] = "id" + ids.Count;
        var lines = new List<string>();
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            var o = JsonNode.Parse(line)!.AsObject();
            o.Remove("CreateTime");
            if (o["ID"] is JsonValue id) o["ID"] = Id(id.GetValue<string>());
            if (o["CorrelID"] is JsonArray correl)
            {
                for (int i = 0; i < correl.Count; i++) correl[i] = Id(correl[i]!.GetValue<string>());
            }

            lines.Add(o.ToJsonString(s_compact));
        }

        return string.Join('\n', lines);
    }
}

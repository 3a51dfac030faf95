using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// Beaconing end to end: the periodicity detector and the shipped Markov models (config/models, trained by
/// `slips models train` from lab/make-beacons.sh captures) on Slips' C&amp;C test captures, the benign captures, a
/// model trained afresh, the flow classifier, and a fresh lab run.
/// </summary>
public class BeaconTests
{
    private const string Infected = "147.32.80.37";
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromMinutes(10);

    private static string Models => Path.Combine(Requires.RepoRoot, "config", "models");

    private static CliResult Analyze(string input, params string[] extra)
    {
        string outDir = CliRunner.NewTempDirectory("beacon");
        var r = CliRunner.Analyze(input, outDir, ["--no-progress", .. extra]);
        Assert.True(r.ExitCode == 0, r.Describe());
        return r;
    }

    private static List<AlertRecord> CommandAndControl(CliResult r, string source) =>
        r.Records.Where(x => x.IsEvidence && x.EvidenceType == "COMMAND_AND_CONTROL_CHANNEL" && x.SourceIp == source).ToList();

    [Theory]
    [InlineData("test-cc/test-cc-capture-1.pcap", "141.193.213.21")]
    [InlineData("test-cc/test-cc-capture-2.pcap", "141.193.213.20")]
    public void Analyze_SlipsCcCapture_PeriodicityAndMarkovRaiseCommandAndControl(string capture, string server)
    {
        var r = Analyze(Requires.Dataset(capture), "-m", Models);
        var cc = CommandAndControl(r, Infected);
        Assert.Contains(cc, e => e.Description!.Contains("Periodic connections", StringComparison.Ordinal)
                                 && e.Description.Contains($"to {server} port 443/tcp", StringComparison.Ordinal));
        Assert.Contains(cc, e => e.Description!.Contains("Behavioural model 'Botnet-CC-Beacon'", StringComparison.Ordinal)
                                 && e.Description.Contains($"tuple {server}-443-tcp", StringComparison.Ordinal));
        r.DeleteOutput();
    }

    [Theory]
    [InlineData("samples/benign.pcap")]
    [InlineData("config/models/captures/browsing.pcap")]
    public void Analyze_BenignCapture_WithModelsAndClassifier_NoCommandAndControl(string relative)
    {
        string input = Path.Combine(Requires.RepoRoot, relative);
        var r = Analyze(input, "-m", Models, "--set", "flow_ml.model_path=" + Path.Combine(Models, "flow-classifier.json"));
        Assert.DoesNotContain(r.Records, x => x.EvidenceType is "COMMAND_AND_CONTROL_CHANNEL" or "MALICIOUS_FLOW");
        Assert.DoesNotContain(r.Records, x => x.IsAlert);
        r.DeleteOutput();
    }

    [Fact]
    public void Analyze_MissingModelsDirectory_ClearErrorExit2()
    {
        string outDir = CliRunner.NewTempDirectory("beacon-bad");
        var r = CliRunner.Analyze(Path.Combine(Requires.RepoRoot, "samples", "benign.pcap"), outDir, ["--no-progress", "-m", "/nonexistent/models"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("/nonexistent/models: no such models directory", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        r.DeleteOutput();
    }

    [Fact]
    public void ModelsTrain_FromShippedLabCaptures_DetectsSlipsCcCapture()
    {
        string dir = CliRunner.NewTempDirectory("models");
        string caps = Path.Combine(Requires.RepoRoot, "config", "models", "captures");
        var (code, stdout, stderr) = Requires.Run(CliRunner.SlipsPath, CliRunner.JoinArguments(
            ["models", "train", "--label", "Botnet-CC-Beacon", "-f", Path.Combine(caps, "beacon-periodic.pcap"), "-f", Path.Combine(caps, "beacon-jitter.pcap"),
             "-o", Path.Combine(dir, "cc.json")]), s_toolTimeout);
        Assert.True(code == 0, stdout + stderr);
        (code, stdout, stderr) = Requires.Run(CliRunner.SlipsPath, CliRunner.JoinArguments(
            ["models", "train", "--label", "Normal-Browsing", "--normal", "-f", Path.Combine(caps, "browsing.pcap"), "-o", Path.Combine(dir, "normal.json")]), s_toolTimeout);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("threshold", stdout, StringComparison.Ordinal);

        var r = Analyze(Requires.Dataset("test-cc/test-cc-capture-1.pcap"), "-m", dir, "-a", "10");
        var model = Assert.Single(CommandAndControl(r, Infected), e => e.Description!.Contains("Behavioural model", StringComparison.Ordinal));
        Assert.Contains("10 letters", model.Description, StringComparison.Ordinal);
        r.DeleteOutput();
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ModelsTrain_BadLettersFile_NamesLine()
    {
        string dir = CliRunner.NewTempDirectory("models-bad");
        string letters = Path.Combine(dir, "letters.txt");
        File.WriteAllText(letters, "# beacon\n88h.h.h.\n88h.Q.h.\n");
        var (code, _, stderr) = Requires.Run(CliRunner.SlipsPath, CliRunner.JoinArguments(
            ["models", "train", "--label", "x", "--letters", letters, "-o", Path.Combine(dir, "x.json")]), s_toolTimeout);
        Assert.Equal(1, code);
        Assert.Contains("letters.txt: line 3: 'Q' is not a behavioural letter", stderr, StringComparison.Ordinal);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void MlTrainEvaluate_Test18Labels_PrintsHeldOutTableAndWritesModel()
    {
        string labels = Requires.Dataset("test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled");
        string dir = CliRunner.NewTempDirectory("ml");
        string model = Path.Combine(dir, "m.json");
        var (code, stdout, stderr) = Requires.Run(CliRunner.SlipsPath, CliRunner.JoinArguments(
            ["ml", "train", "--labels", labels, "-o", model]), s_toolTimeout);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("763 labelled flows (719 malicious)", stdout, StringComparison.Ordinal);
        Assert.Contains("held-out flows (the later part of each input, split by time): 229", stdout, StringComparison.Ordinal);
        Assert.Contains("class       precision  recall", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = Requires.Run(CliRunner.SlipsPath, CliRunner.JoinArguments(
            ["ml", "evaluate", "-m", model, "--labels", labels, "--held-out"]), s_toolTimeout);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("held-out flows: 229", stdout, StringComparison.Ordinal);
        Assert.Contains("confusion: TP", stdout, StringComparison.Ordinal);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Lab_MakeBeacons_PeriodicDetectedBrowsingNot()
    {
        Requires.Root();
        Requires.Tool("tcpdump");
        Requires.Tool("curl");
        string dir = CliRunner.NewTempDirectory("lab-beacons");
        string prefix = "bt" + Random.Shared.Next(0x1000, 0xffff).ToString("x4", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            var (code, stdout, stderr) = Requires.Run("/bin/bash", CliRunner.JoinArguments(
                [Path.Combine(Requires.RepoRoot, "lab", "make-beacons.sh"), dir, prefix, "10"]), s_toolTimeout);
            Assert.True(code == 0, stdout + stderr);

            var beacon = Analyze(Path.Combine(dir, "beacon-periodic.pcap"));
            Assert.Contains(CommandAndControl(beacon, "10.77.0.5"), e => e.Description!.Contains("Periodic connections", StringComparison.Ordinal));
            var browsing = Analyze(Path.Combine(dir, "browsing.pcap"));
            Assert.DoesNotContain(browsing.Records, x => x.EvidenceType == "COMMAND_AND_CONTROL_CHANNEL");
        }
        finally
        {
            Requires.Run("/bin/bash", CliRunner.JoinArguments([Path.Combine(Requires.RepoRoot, "lab", "netns.sh"), "down", prefix]), TimeSpan.FromMinutes(1));
            Directory.Delete(dir, true);
        }
    }
}

using SlipsP2P.Core;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// The CLI on captures of real attacks made by real tools in the network-namespace lab (lab/make-captures.sh):
/// the copies shipped in samples/ (<c>fresh: false</c>, no root needed) and a set made afresh for this test run
/// (<c>fresh: true</c>: root, nmap, tcpdump, hydra, sshd, curl, dig, python3).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class LabCaptureTests
{
    // Addresses fixed by lab/netns.sh.
    private const string Scanner = "10.77.0.5";
    private const string Client = "10.77.0.6";
    private const string Server = "10.77.1.20";

    private static readonly string[] s_attackTypes =
    [
        EvidenceTypes.VerticalPortScan, EvidenceTypes.HorizontalPortScan, EvidenceTypes.IcmpAddressScan, EvidenceTypes.PasswordGuessing,
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScanCapture_Analysed_ScannerGetsVerticalHorizontalAndIcmpEvidence(bool fresh)
    {
        string capture = Capture(fresh, "scan.pcap");

        var run = CliRunner.Analyze(capture, CliRunner.NewTempDirectory("scan"));

        Assert.True(run.ExitCode == 0, run.Describe());
        var types = run.EvidenceTypesFrom(Scanner);
        Assert.True(types.Contains(EvidenceTypes.VerticalPortScan), "no VERTICAL_PORT_SCAN from the scanner: " + run.Describe());
        Assert.True(types.Contains(EvidenceTypes.HorizontalPortScan), "no HORIZONTAL_PORT_SCAN from the scanner: " + run.Describe());
        Assert.True(types.Contains(EvidenceTypes.IcmpAddressScan), "no ICMP_ADDRESS_SCAN from the scanner: " + run.Describe());
        // Only the scanner initiated anything: the victims and the router merely answered.
        foreach (var r in run.Records)
        {
            if (r.IsEvidence && r.EvidenceType is EvidenceTypes.VerticalPortScan or EvidenceTypes.HorizontalPortScan or EvidenceTypes.IcmpAddressScan)
            {
                Assert.True(r.SourceIp == Scanner, $"scan evidence blamed on {r.SourceIp}, line {r.Line}: {r}");
            }
        }

        run.DeleteOutput();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScanCapture_OneMinuteWindows_ScannerGetsAlert(bool fresh)
    {
        string capture = Capture(fresh, "scan.pcap");

        var run = CliRunner.Analyze(capture, CliRunner.NewTempDirectory("scan-w60"), ["-w", "60"]);

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.True(run.AlertsOn(Scanner).Count > 0, "no alert on the scanner with 60 s windows: " + run.Describe());
        foreach (var r in run.Records)
        {
            if (r.IsAlert) Assert.True(r.SourceIp == Scanner, $"alert on {r.SourceIp}, line {r.Line}, in a capture where only {Scanner} attacks");
        }

        string log = Path.Combine(run.OutputDirectory, "alerts.log");
        Assert.True(File.Exists(log), "no alerts.log in " + run.OutputDirectory);
        Assert.Contains(Scanner, File.ReadAllText(log), StringComparison.Ordinal);

        run.DeleteOutput();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SshBruteforceCapture_Analysed_AttackerGetsPasswordGuessing(bool fresh)
    {
        string capture = Capture(fresh, "ssh-bruteforce.pcap");

        var run = CliRunner.Analyze(capture, CliRunner.NewTempDirectory("ssh"));

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.True(run.EvidenceTypesFrom(Scanner).Contains(EvidenceTypes.PasswordGuessing), "no PASSWORD_GUESSING from the attacker: " + run.Describe());
        Assert.DoesNotContain(run.Records, r => r.IsEvidence && r.EvidenceType == EvidenceTypes.PasswordGuessing && r.SourceIp == Server);

        run.DeleteOutput();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BenignCapture_OneMinuteWindows_NoAttackEvidenceAndNoAlert(bool fresh)
    {
        string capture = Capture(fresh, "benign.pcap");

        var run = CliRunner.Analyze(capture, CliRunner.NewTempDirectory("benign"), ["-w", "60", "--write-flows"]);

        Assert.True(run.ExitCode == 0, run.Describe());
        // The capture was really read: its DNS and HTTP flows are there.
        string connLog = Path.Combine(run.OutputDirectory, "conn.log");
        Assert.True(File.Exists(connLog), "--write-flows wrote no conn.log in " + run.OutputDirectory);
        int clientFlows = File.ReadLines(connLog).Count(l => !l.StartsWith('#') && l.Contains(Client, StringComparison.Ordinal) && l.Contains(Server, StringComparison.Ordinal));
        Assert.True(clientFlows >= 20, $"only {clientFlows} client-server flows in {connLog}");

        foreach (var r in run.Records)
        {
            Assert.False(r.IsAlert, $"alert on benign traffic, line {r.Line}: {r}");
            Assert.False(r.EvidenceType is not null && Array.IndexOf(s_attackTypes, r.EvidenceType) >= 0, $"attack evidence on benign traffic, line {r.Line}: {r}");
        }

        run.DeleteOutput();
    }

    /// <summary>The path of a capture: the shipped copy, or one from this run's fresh lab.</summary>
    private static string Capture(bool fresh, string name)
    {
        if (!fresh)
        {
            string shipped = Path.Combine(Requires.RepoRoot, "samples", name);
            Assert.True(File.Exists(shipped), "shipped capture missing: " + shipped);
            return shipped;
        }

        string dir = LabCaptureRun.Directory();
        string path = Path.Combine(dir, name);
        Assert.True(File.Exists(path), $"lab/make-captures.sh did not write {path}");
        return path;
    }
}

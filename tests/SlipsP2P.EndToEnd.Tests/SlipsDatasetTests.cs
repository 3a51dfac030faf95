using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// The CLI on Slips' own test datasets (../shared/datasets/slips), asserting the detections Slips' integration tests
/// expect there (reference notes 9.2), and that the scan and brute-force detectors accuse no one else.
/// </summary>
public sealed class SlipsDatasetTests
{
    private static readonly string[] s_scanTypes = ["VERTICAL_PORT_SCAN", "HORIZONTAL_PORT_SCAN", "ICMP_ADDRESS_SCAN", "PASSWORD_GUESSING"];

    /// <summary>Dataset, attacker, evidence type, and other IPs that really do the same in that data (checked by hand).</summary>
    public static TheoryData<string, string, string, string> Expected => new()
    {
        // test3 also holds 216.73.23.146 probing 445/tcp on 147.32.81.57-81 and 147.32.84.147 making 12 short SSH
        // sessions to 54.192.46.117 every 10 s: both are what the detectors are for.
        { "test3-mixed.binetflow", "46.166.151.160", "HORIZONTAL_PORT_SCAN", "216.73.23.146,147.32.84.147" },
        { "test4-malicious.binetflow", "192.168.2.12", "HORIZONTAL_PORT_SCAN", "" },
        { "test11-portscan.binetflow", "10.8.0.69", "VERTICAL_PORT_SCAN", "" },
        { "test12-icmp-portscan.pcap", "192.168.1.109", "ICMP_ADDRESS_SCAN", "" },
        { "test19-malicious-ssh/malicious-ssh-bruteforce.pcap", "147.32.80.40", "PASSWORD_GUESSING", "" },
        { "test7-malicious.pcap", "192.168.2.16", "HORIZONTAL_PORT_SCAN", "" },
        { "port-scans/horizontal/conn.log", "10.0.2.112", "HORIZONTAL_PORT_SCAN", "" },
        { "port-scans/vertical/conn.log", "192.168.1.9", "VERTICAL_PORT_SCAN", "" },
        { "test6-malicious.suricata.json", "193.46.255.92", "VERTICAL_PORT_SCAN", "" },
        { "test2-malicious.binetflow", "10.8.0.69", "LONG_CONNECTION", "" },
        { "test5-mixed.binetflow", "10.0.2.15", "LONG_CONNECTION", "" },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Analyze_SlipsDataset_FindsWhatSlipsExpectsAndAccusesNoOneElse(string dataset, string attacker, string evidenceType, string alsoAttacking)
    {
        string input = Requires.Dataset(dataset);
        string dir = CliRunner.NewTempDirectory("dataset");
        var run = CliRunner.Analyze(input, dir, ["--no-progress"]);

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains(evidenceType, run.EvidenceTypesFrom(attacker));
        var known = alsoAttacking.Split(',', StringSplitOptions.RemoveEmptyEntries).Append(attacker).ToHashSet();
        var others = run.Records.Where(r => r.IsEvidence && !known.Contains(r.SourceIp ?? "") && s_scanTypes.Contains(r.EvidenceType)).ToList();
        Assert.True(others.Count == 0, "scan or brute-force evidence on others: " + string.Join("; ", others.Take(5)));
        run.DeleteOutput();
    }

    [Fact]
    public void Analyze_SlipsDataset_WithOneMinuteWindowsTheScannerIsAlerted()
    {
        // test4: 192.168.2.12 scans 81/tcp across many hosts; with -w 60 the threshold is 0.25 per window.
        string input = Requires.Dataset("test4-malicious.binetflow");
        string dir = CliRunner.NewTempDirectory("dataset-w60");
        var run = CliRunner.Analyze(input, dir, ["-w", "60", "--no-progress"]);
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.NotEmpty(run.AlertsOn("192.168.2.12"));
        run.DeleteOutput();
    }

    [Fact]
    public void Analyze_Nfdump_PairedFlowsRaiseNoScan()
    {
        // Slips' test says test1 is not malicious; its one-way records, unpaired, looked like a scan of ephemeral ports.
        Requires.Tool("nfdump");
        string input = Requires.Dataset("test1-malicious.nfdump");
        string dir = CliRunner.NewTempDirectory("dataset-nfdump");
        var run = CliRunner.Analyze(input, dir, ["--no-progress"]);
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.DoesNotContain(run.Records, r => r.IsEvidence && s_scanTypes.Contains(r.EvidenceType));
        Assert.Contains("nfdump", run.Stdout);
        run.DeleteOutput();
    }

    [Fact]
    public void Analyze_ZeekDirectory_ReadsEveryLogKind()
    {
        string input = Requires.Dataset("test9-mixed-zeek-dir");
        string dir = CliRunner.NewTempDirectory("dataset-zeekdir");
        var run = CliRunner.Analyze(input, dir, ["--no-progress"]);
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains("zeek", run.Stdout, StringComparison.OrdinalIgnoreCase);
        run.DeleteOutput();
    }
}

using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// The detection catalogue end to end: ./slips on Slips' own datasets, checking alerts.json for the evidence Slips'
/// tests and dataset notes name (source profile and evidence type).
/// </summary>
public class DatasetsDetectionTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "test14-malicious-zeek-dir", "10.0.2.15", "MULTIPLE_RECONNECTION_ATTEMPTS" },
        { "test14-malicious-zeek-dir", "10.1.11.101", "BAD_SMTP_LOGIN" },
        { "test14-malicious-zeek-dir", "10.1.11.101", "SMTP_LOGIN_BRUTEFORCE" },
        { "test9-mixed-zeek-dir", "10.0.2.15", "NON_HTTP_PORT_80_CONNECTION" },
        { "test10-mixed-zeek-dir", "", "NON_SSL_PORT_443_CONNECTION" },
        { "test10-mixed-zeek-dir", "", "HIGH_ENTROPY_DNS_ANSWER" },
        { "test15-malicious-zeek-dir", "10.0.2.15", "INCOMPATIBLE_CN" },
        { "test15-malicious-zeek-dir", "10.0.2.15", "MALICIOUS_JA3" },
        { "test16-malicious-zeek-dir", "192.168.1.15", "ARP_OUTSIDE_LOCALNET" },
        { "test16-malicious-zeek-dir", "192.168.1.15", "UNSOLICITED_ARP" },
        { "test8-malicious.pcap", "192.168.1.247", "ARP_SCAN" },
        { "test5-mixed.binetflow", "", "THREAT_INTELLIGENCE_TO_BLACKLISTED_IP" },
        { "test13-malicious-dhcpscan-zeek-dir", "192.168.1.30", "DHCP_SCAN" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Slips_Dataset_RaisesExpectedEvidence(string dataset, string sourceIp, string evidenceType)
    {
        string input = Requires.Dataset(dataset);
        string outDir = CliRunner.NewTempDirectory("ds");
        var result = CliRunner.Analyze(input, outDir);
        try
        {
            Assert.True(result.ExitCode == 0, result.Describe());
            bool found = result.Records.Any(r => r.IsEvidence && r.EvidenceType == evidenceType && (sourceIp.Length == 0 || r.SourceIp == sourceIp));
            Assert.True(found, $"{evidenceType} from {(sourceIp.Length == 0 ? "any source" : sourceIp)} not in {dataset}: " + result.Describe());
        }
        finally
        {
            result.DeleteOutput();
        }
    }

    [Fact]
    public void Slips_Test14SmtpLog_BruteforceToTheMailServerAtHigh()
    {
        string input = Requires.Dataset("test14-malicious-zeek-dir");
        string outDir = CliRunner.NewTempDirectory("ds14");
        var result = CliRunner.Analyze(input, outDir);
        try
        {
            Assert.True(result.ExitCode == 0, result.Describe());
            // smtp.log holds 4 "554 5.7.1 bad smtp-auth user" replies within 8 s and one "220 OK".
            var bad = result.Records.Where(r => r.IsEvidence && r.EvidenceType == "BAD_SMTP_LOGIN").ToList();
            Assert.Equal(4, bad.Count);
            var brute = Assert.Single(result.Records, r => r.IsEvidence && r.EvidenceType == "SMTP_LOGIN_BRUTEFORCE");
            Assert.Equal("10.1.11.101", brute.SourceIp);
            Assert.Equal("high", brute.ThreatLevel);
            Assert.Contains("80.75.42.226", brute.Description, StringComparison.Ordinal);
        }
        finally
        {
            result.DeleteOutput();
        }
    }

    /// <summary>
    /// The shipped Markov models judged hydra's SSH brute force a C&amp;C channel from its first letters ("88h.h.h.",
    /// within 1.25x of the beacon model's worst training string); with the threshold at the worst training distance
    /// the brute force is only PASSWORD_GUESSING, while the beacons still match (BeaconTests).
    /// </summary>
    [Theory]
    [InlineData("samples:ssh-bruteforce.pcap")]
    [InlineData("datasets:test19-malicious-ssh/malicious-ssh-bruteforce.pcap")]
    public void Slips_SshBruteforceWithShippedModels_PasswordGuessingNotCommandAndControl(string input)
    {
        string path = input.StartsWith("samples:", StringComparison.Ordinal)
            ? Path.Combine(Requires.RepoRoot, "samples", input["samples:".Length..])
            : Requires.Dataset(input["datasets:".Length..]);
        if (!File.Exists(path)) Requires.Missing(path + " not found");
        string outDir = CliRunner.NewTempDirectory("sshmm");
        var result = CliRunner.Analyze(path, outDir, ["-m", Path.Combine(Requires.RepoRoot, "config", "models")]);
        try
        {
            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Contains(result.Records, r => r.IsEvidence && r.EvidenceType == "PASSWORD_GUESSING");
            Assert.DoesNotContain(result.Records, r => r.IsEvidence && r.EvidenceType == "COMMAND_AND_CONTROL_CHANNEL");
        }
        finally
        {
            result.DeleteOutput();
        }
    }

    [Fact]
    public void Slips_Test5SimdaCc_ThreatIntelligenceNamesTheFeedEntry()
    {
        string input = Requires.Dataset("test5-mixed.binetflow");
        string outDir = CliRunner.NewTempDirectory("ds5");
        var result = CliRunner.Analyze(input, outDir);
        try
        {
            var ti = result.Records.Where(r => r.IsEvidence && r.EvidenceType == "THREAT_INTELLIGENCE_TO_BLACKLISTED_IP").ToList();
            Assert.NotEmpty(ti);
            Assert.Contains(ti, r => r.Description is not null && r.Description.Contains("23.253.126.58", StringComparison.Ordinal)
                                     && r.Description.Contains("Simda CC", StringComparison.Ordinal));
            Assert.All(ti, r => Assert.Equal("high", r.ThreatLevel));
        }
        finally
        {
            result.DeleteOutput();
        }
    }

    [Fact]
    public void Slips_BenignSample_NoCatalogueAlerts()
    {
        string input = Path.Combine(Requires.RepoRoot, "samples", "benign.pcap");
        if (!File.Exists(input)) Requires.Missing("samples/benign.pcap not found");
        string outDir = CliRunner.NewTempDirectory("benign");
        var result = CliRunner.Analyze(input, outDir);
        try
        {
            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.DoesNotContain(result.Records, r => r.IsAlert);
        }
        finally
        {
            result.DeleteOutput();
        }
    }
}

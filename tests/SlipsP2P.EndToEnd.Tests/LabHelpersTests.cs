using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>The helpers the lab tests lean on, checked against real processes.</summary>
public sealed class LabHelpersTests
{
    [Fact]
    public void JoinArguments_TrickyArguments_ReachTheProgramUnchanged()
    {
        string[] args = ["plain", "two words", "", "quote\"inside", "back\\slash", "trail\\", "both\\\"x", "$(seq 3) 2>/dev/null", "it's"];

        var (exit, stdout, _) = Requires.Run("/usr/bin/printf", CliRunner.JoinArguments(["[%s]\\n", .. args]), TimeSpan.FromSeconds(10));

        Assert.Equal(0, exit);
        Assert.Equal(string.Concat(args.Select(a => "[" + a + "]\n")), stdout);
    }

    [Fact]
    public void ReadAlertsJson_EvidenceAndIncident_ParsesTypeSourceAndStatus()
    {
        string dir = CliRunner.NewTempDirectory("parse");
        string path = Path.Combine(dir, "alerts.json");
        File.WriteAllLines(path,
        [
            """{"Status":"Event","Source":[{"IP":"10.77.0.5"}],"Note":"{\"evidence_type\": \"VERTICAL_PORT_SCAN\", \"threat_level\": \"high\", \"confidence\": 1, \"timewindow\": 2}"}""",
            "",
            """{"Status":"Incident","Source":[{"IP":"10.77.0.5"}],"CorrelID":["a"],"Note":"{\"timewindow\": 2}"}""",
        ]);

        var records = CliRunner.ReadAlertsJson(path);

        Assert.Equal(2, records.Count);
        Assert.Equal(("Event", "VERTICAL_PORT_SCAN", "10.77.0.5", 2, 1), (records[0].Status, records[0].EvidenceType, records[0].SourceIp, records[0].TimeWindow, records[0].Line));
        Assert.True(records[1].IsAlert);
        Assert.Equal(3, records[1].Line);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void ReadAlertsJson_EvidenceWithoutNote_FailsNamingTheLine()
    {
        string dir = CliRunner.NewTempDirectory("parse-bad");
        string path = Path.Combine(dir, "alerts.json");
        File.WriteAllLines(path, ["""{"Status":"Event","Source":[{"IP":"10.77.0.5"}]}"""]);

        var ex = Assert.ThrowsAny<Exception>(() => CliRunner.ReadAlertsJson(path));

        Assert.Contains("alerts.json:1", ex.Message, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}

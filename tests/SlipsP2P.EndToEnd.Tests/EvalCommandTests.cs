using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary><c>slips eval</c> end to end: the quality table is produced and the benign inputs raise nothing.</summary>
public class EvalCommandTests
{
    [Fact]
    public void Eval_AllInputs_TableWithNoFalseAlertOnBenign()
    {
        Requires.Dataset("test8-malicious.pcap");
        CliRunner.EnsureBuilt();
        string table = Path.Combine(CliRunner.NewTempDirectory("eval"), "quality.md");
        var (exit, stdout, stderr) = Requires.Run(CliRunner.SlipsPath, $"eval -o \"{table}\"", CliRunner.DefaultTimeout);
        Assert.True(exit == 0, $"slips eval exited {exit} (1 means a false alert on a benign input):\n{stdout}\n{stderr}");
        string text = File.ReadAllText(table);
        Assert.Equal(stdout, text);
        var rows = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("| input | expected | found | missed |", rows[0], StringComparison.Ordinal);
        Assert.Contains(rows, r => r.StartsWith("| test8-malicious.pcap | ARP_SCAN | ARP_SCAN | - |", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("| samples/benign.pcap | none (benign) | - | - | - | 0 |", StringComparison.Ordinal));
        Directory.Delete(Path.GetDirectoryName(table)!, true);
    }
}

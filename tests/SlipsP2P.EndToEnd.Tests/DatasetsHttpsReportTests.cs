using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary><c>slips report https HOST -f INPUT</c> on a real Zeek directory: an offline HTML page of the host's baseline.</summary>
public class DatasetsHttpsReportTests
{
    [Fact]
    public void ReportHttps_Test9Host_OfflineHtmlWithBaselineAndServerNames()
    {
        string input = Requires.Dataset("test9-mixed-zeek-dir");
        CliRunner.EnsureBuilt();
        string dir = CliRunner.NewTempDirectory("report");
        string html = Path.Combine(dir, "r.html");
        var (exit, stdout, stderr) = Requires.Run(CliRunner.SlipsPath, $"report https 10.0.2.15 -f \"{input}\" -o \"{html}\"", CliRunner.DefaultTimeout);
        Assert.True(exit == 0, stdout + stderr);
        string text = File.ReadAllText(html);
        Assert.StartsWith("<!DOCTYPE html>", text, StringComparison.Ordinal);
        Assert.Contains("HTTPS baseline of 10.0.2.15", text, StringComparison.Ordinal);
        Assert.Contains("bytes per flow (log)", text, StringComparison.Ordinal);
        Assert.Contains("accounts.google.com", text, StringComparison.Ordinal);
        // Readable offline: no scripts and nothing loaded from elsewhere.
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", text, StringComparison.OrdinalIgnoreCase);

        var bad = Requires.Run(CliRunner.SlipsPath, $"report https not-an-ip -f \"{input}\"", CliRunner.DefaultTimeout);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'not-an-ip' is not an IP address", bad.Stderr, StringComparison.Ordinal);
        Directory.Delete(dir, true);
    }
}

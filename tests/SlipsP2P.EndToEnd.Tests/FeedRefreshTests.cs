using System.Diagnostics;
using System.Globalization;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// A running analysis refreshes its feeds without stopping detection: ./slips reads Zeek conn lines from standard
/// input, fed by this test a few at a time, while the feed served on 127.0.0.1 changes; flows sent after the refresh
/// match the new feed, and an indicator dropped from the feed no longer matches.
/// </summary>
public class FeedRefreshTests
{
    private const string Listed = "198.51.100.7";   // in both versions of the feed
    private const string Dropped = "198.51.100.9";  // only in the first
    private const string Added = "203.0.113.5";     // only in the second

    private static string Conn(double ts, string uid, string src, string dst) =>
        "{\"ts\":" + ts.ToString(CultureInfo.InvariantCulture) + ",\"uid\":\"" + uid + "\",\"id.orig_h\":\"" + src + "\",\"id.orig_p\":40000,\"id.resp_h\":\"" + dst +
        "\",\"id.resp_p\":443,\"proto\":\"tcp\",\"service\":\"ssl\",\"duration\":1.5,\"orig_bytes\":300,\"resp_bytes\":900,\"conn_state\":\"SF\",\"orig_pkts\":6,\"resp_pkts\":6}";

    [Fact]
    public async Task Stdin_FeedChangesMidRun_LaterFlowsMatchTheNewFeed()
    {
        var ct = TestContext.Current.CancellationToken;
        CliRunner.EnsureBuilt();
        string dir = CliRunner.NewTempDirectory("refresh");
        await using var server = new FeedRefreshServer($"# version 1\n{Listed}\n{Dropped}\n");
        string feeds = Path.Combine(dir, "feeds.csv");
        await File.WriteAllTextAsync(feeds, $"{server.Url}, high, ['test']\n", ct);
        string local = Path.Combine(dir, "ioc");
        Directory.CreateDirectory(local);
        string yaml = await File.ReadAllTextAsync(Path.Combine(Requires.RepoRoot, "config", "slips.yaml"), ct);
        yaml = yaml.Replace("ti_files: config/ti/feeds/TI_feeds.csv", "ti_files: " + feeds, StringComparison.Ordinal)
                   .Replace("cache_dir: config/ti/cache", "cache_dir: " + Path.Combine(dir, "cache"), StringComparison.Ordinal)
                   .Replace("local_threat_intelligence_dir: config/ti", "local_threat_intelligence_dir: " + local, StringComparison.Ordinal)
                   .Replace("TI_files_update_period: 86400", "TI_files_update_period: 1", StringComparison.Ordinal);
        string config = Path.Combine(dir, "slips.yaml");
        await File.WriteAllTextAsync(config, yaml, ct);
        string outDir = Path.Combine(dir, "out");

        var psi = new ProcessStartInfo(CliRunner.SlipsPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-f", "-", "--input-type", "zeek", "-o", outDir, "-c", config, "--no-progress" }) psi.ArgumentList.Add(a);
        using var stderr = new StderrLines();
        using var process = new Process { StartInfo = psi };
        process.ErrorDataReceived += (_, e) => stderr.Add(e.Data);
        process.OutputDataReceived += (_, _) => { };
        Assert.True(process.Start());
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var wait = TimeSpan.FromMinutes(2);
            await stderr.WaitForAsync(s => s.Contains("threat intelligence refreshed: ips 2,", StringComparison.Ordinal), wait, ct);
            await process.StandardInput.WriteLineAsync(Conn(1000, "Cfirst", "10.0.0.1", Listed).AsMemory(), ct);
            await process.StandardInput.FlushAsync(ct);

            server.Change($"# version 2\n{Listed}\n{Added}\n203.0.113.6\n");
            await stderr.WaitForAsync(s => s.Contains("threat intelligence refreshed: ips 3,", StringComparison.Ordinal), wait, ct);
            await process.StandardInput.WriteLineAsync(Conn(1010, "Cadded", "10.0.0.1", Added).AsMemory(), ct);
            await process.StandardInput.WriteLineAsync(Conn(1020, "Cdropped", "10.0.0.2", Dropped).AsMemory(), ct);
            process.StandardInput.Close();
            await process.WaitForExitAsync(ct).WaitAsync(wait, ct);
            Assert.True(process.ExitCode == 0, stderr.Text);

            var records = CliRunner.ReadAlertsJson(Path.Combine(outDir, "alerts.json"));
            var ti = records.Where(r => r.IsEvidence && r.EvidenceType == "THREAT_INTELLIGENCE_TO_BLACKLISTED_IP").ToList();
            Assert.Contains(ti, r => r.SourceIp == "10.0.0.1" && r.Description!.Contains(Listed, StringComparison.Ordinal));
            Assert.Contains(ti, r => r.SourceIp == "10.0.0.1" && r.Description!.Contains(Added, StringComparison.Ordinal) && r.ThreatLevel == "high");
            Assert.DoesNotContain(ti, r => r.Description!.Contains(Dropped, StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        Directory.Delete(dir, true);
    }

    /// <summary>The child's stderr lines, with a wait for a line matching a predicate.</summary>
    private sealed class StderrLines : IDisposable
    {
        private readonly List<string> _lines = new();
        private readonly SemaphoreSlim _added = new(0);

        public string Text
        {
            get
            {
                lock (_lines) return string.Join('\n', _lines);
            }
        }

        public void Dispose() => _added.Dispose();

        public void Add(string? line)
        {
            if (line is null) return;
            lock (_lines) _lines.Add(line);
            _added.Release();
        }

        public async Task WaitForAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken ct)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            int seen = 0;
            while (true)
            {
                lock (_lines)
                {
                    for (; seen < _lines.Count; seen++)
                    {
                        if (predicate(_lines[seen])) return;
                    }
                }

                try
                {
                    await _added.WaitAsync(cts.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    Assert.Fail($"no matching stderr line within {timeout}; stderr so far:\n{Text}");
                }
            }
        }
    }
}

using System.Net;
using System.Net.Sockets;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// <c>slips ti update</c> and a following analysis, end to end, against a feed served on 127.0.0.1 by this test
/// (never the Internet): first download, 304 on the second run, cached copy used by the analysis of test5.
/// </summary>
public class DatasetsTiUpdateTests
{
    [Fact]
    public async Task TiUpdate_LocalFeed_DownloadsThenNotModifiedAndAnalysisMatchesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        string dataset = Requires.Dataset("test5-mixed.binetflow");
        CliRunner.EnsureBuilt();
        string dir = CliRunner.NewTempDirectory("ti");
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        int requests = 0, notModified = 0;
        var serve = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext c;
                try
                {
                    c = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                Interlocked.Increment(ref requests);
                if (c.Request.Headers["If-None-Match"] == "\"v1\"")
                {
                    Interlocked.Increment(ref notModified);
                    c.Response.StatusCode = 304;
                }
                else
                {
                    // test5's busiest destination that is not in the shipped IoC files.
                    byte[] body = "# test feed\n217.70.184.38\n"u8.ToArray();
                    c.Response.Headers["ETag"] = "\"v1\"";
                    await c.Response.OutputStream.WriteAsync(body);
                }

                c.Response.Close();
            }
        }, ct);

        string feeds = Path.Combine(dir, "feeds.csv");
        await File.WriteAllTextAsync(feeds, $"http://127.0.0.1:{port}/feed.txt, critical, ['test']\n", ct);
        string cache = Path.Combine(dir, "cache");
        string config = Path.Combine(dir, "slips.yaml");
        string yaml = await File.ReadAllTextAsync(Path.Combine(Requires.RepoRoot, "config", "slips.yaml"), ct);
        yaml = yaml.Replace("ti_files: config/ti/feeds/TI_feeds.csv", "ti_files: " + feeds, StringComparison.Ordinal)
                   .Replace("cache_dir: config/ti/cache", "cache_dir: " + cache, StringComparison.Ordinal);
        await File.WriteAllTextAsync(config, yaml, ct);

        var first = Requires.Run(CliRunner.SlipsPath, $"ti update -c \"{config}\"", CliRunner.DefaultTimeout);
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains("Updated:", first.Stdout, StringComparison.Ordinal);
        var second = Requires.Run(CliRunner.SlipsPath, $"ti update -c \"{config}\"", CliRunner.DefaultTimeout);
        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        Assert.Contains("NotModified:", second.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, Volatile.Read(ref notModified));

        listener.Stop();
        await serve.WaitAsync(TimeSpan.FromSeconds(10), ct);
        var third = Requires.Run(CliRunner.SlipsPath, $"ti update -c \"{config}\"", CliRunner.DefaultTimeout);
        Assert.Contains("using the cached copy", third.Stderr, StringComparison.Ordinal);

        var result = CliRunner.Analyze(dataset, Path.Combine(dir, "out"), ["-c", config]);
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains(result.Records, r => r.IsEvidence && r.EvidenceType == "THREAT_INTELLIGENCE_TO_BLACKLISTED_IP"
                                             && r.ThreatLevel == "critical" && r.Description!.Contains("217.70.184.38", StringComparison.Ordinal));
        Directory.Delete(dir, true);
    }
}

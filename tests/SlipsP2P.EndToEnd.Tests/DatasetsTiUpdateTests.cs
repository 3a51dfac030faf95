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
        // test5's busiest destination that is not in the shipped IoC files.
        await using var server = new FeedRefreshServer("# test feed\n217.70.184.38\n");
        string feeds = Path.Combine(dir, "feeds.csv");
        await File.WriteAllTextAsync(feeds, $"{server.Url}, critical, ['test']\n", ct);
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
        Assert.Equal(1, server.NotModified);

        await server.StopAsync();
        var third = Requires.Run(CliRunner.SlipsPath, $"ti update -c \"{config}\"", CliRunner.DefaultTimeout);
        Assert.Contains("using the cached copy", third.Stderr, StringComparison.Ordinal);

        var result = CliRunner.Analyze(dataset, Path.Combine(dir, "out"), ["-c", config]);
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains(result.Records, r => r.IsEvidence && r.EvidenceType == "THREAT_INTELLIGENCE_TO_BLACKLISTED_IP"
                                             && r.ThreatLevel == "critical" && r.Description!.Contains("217.70.184.38", StringComparison.Ordinal));
        Directory.Delete(dir, true);
    }
}

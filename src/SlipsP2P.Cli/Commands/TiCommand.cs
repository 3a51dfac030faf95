using System.CommandLine;
using SlipsP2P.Cli.Configuration;
using SlipsP2P.Core;
using SlipsP2P.Detection;
using SlipsP2P.Detection.Detectors.ThreatIntelligence;
using SlipsP2P.Detection.ThreatIntelligence;

namespace SlipsP2P.Cli.Commands;

/// <summary>
/// <c>slips ti update</c>: fetches the feeds listed in threatintelligence.ti_files into threatintelligence.cache_dir with
/// ETag/Last-Modified caching; a feed that cannot be reached is reported and its cached copy stays in use.
/// <c>slips ti status</c>: what a run would load.
/// </summary>
internal static class TiCommand
{
    public static Command Build()
    {
        var ti = new Command("ti", "Threat intelligence: update the feeds, show what is loaded.");
        var config = new Option<string?>("--config", "-c") { Description = "Configuration file (default config/slips.yaml).", HelpName = "FILE" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds allowed per feed.", DefaultValueFactory = _ => 60 };

        var update = new Command("update", "Download the feeds of threatintelligence.ti_files (conditional requests; failures keep the cached copy).");
        update.Options.Add(config);
        update.Options.Add(timeout);
        update.SetAction(async (parse, ct) =>
        {
            if (!TryOptions(parse.GetValue(config), out var options)) return ExitCodes.UsageError;
            int seconds = parse.GetValue(timeout);
            if (seconds <= 0)
            {
                await Console.Error.WriteLineAsync("slips ti update: --timeout must be positive");
                return ExitCodes.UsageError;
            }

            var warnings = new List<string>();
            string feedsFile = Analysis.ResolveInHome(options.ThreatIntelligence.FeedsFile);
            var feeds = FeedList.Read(feedsFile, warnings);
            foreach (var w in warnings) await Console.Error.WriteLineAsync("slips ti update: " + w);
            if (feeds.Count == 0)
            {
                await Console.Error.WriteLineAsync($"slips ti update: no feeds in {feedsFile}");
                return ExitCodes.InputError;
            }

            string cache = CacheDir(options);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(seconds) };
            http.DefaultRequestHeaders.UserAgent.ParseAdd("slipsp2p-ti/1.0");
            var results = await new FeedUpdater(http, cache).UpdateAsync(feeds, ct);
            int failed = 0;
            foreach (var r in results)
            {
                bool bad = r.Status is FeedUpdateStatus.FailedNoCache or FeedUpdateStatus.FailedUsingCache;
                if (bad) failed++;
                await (bad ? Console.Error : Console.Out).WriteLineAsync($"{r.Status}: {r.Message}");
            }

            await Console.Out.WriteLineAsync($"{results.Count - failed} of {results.Count} feeds fetched or unchanged; cache: {cache}");
            return failed == results.Count ? ExitCodes.InputError : ExitCodes.Ok;
        });

        var status = new Command("status", "Load the local IoC files and cached feeds as a run would, and print the counts.");
        status.Options.Add(config);
        status.SetAction(parse =>
        {
            if (!TryOptions(parse.GetValue(config), out var options)) return ExitCodes.UsageError;
            var warnings = new List<string>();
            var t = options.ThreatIntelligence;
            var store = ThreatIntelligenceLoader.Load(t, p => Analysis.ResolveInHome(p), warnings);
            foreach (var w in warnings) Console.Error.WriteLine("slips ti status: " + w);
            Console.Out.WriteLine($"ips {store.IpCount}, ranges {store.RangeCount}, domains {store.DomainCount}, ja3 {store.Ja3Count}, asns {store.AsnCount}, asn table ranges {store.AsnTable.Count}");
            return ExitCodes.Ok;
        });

        ti.Subcommands.Add(update);
        ti.Subcommands.Add(status);
        return ti;
    }

    private static string CacheDir(AnalysisOptions options) => FeedRefresh.CacheDirectory(options);

    private static bool TryOptions(string? configPath, out AnalysisOptions options)
    {
        var warnings = new List<string>();
        try
        {
            options = SlipsConfig.Load(configPath ?? Analysis.ResolveInHome("config/slips.yaml"), configPath is null, [], warnings);
            foreach (var w in warnings) Console.Error.WriteLine("slips: warning: " + w);
            return true;
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine("slips: " + e.Message);
            options = new AnalysisOptions();
            return false;
        }
    }
}

/// <summary>
/// The feed refresher of a running analysis whose input does not end by itself (standard input, live capture): every
/// threatintelligence.TI_files_update_period seconds it runs the updater (conditional requests) in the background,
/// loads a new IoC store and publishes it with one reference swap, so detection neither stops nor sees a half-loaded
/// store. Each publication is reported on stderr.
/// </summary>
internal sealed class FeedRefresh : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http;
    private readonly Task _run;

    private FeedRefresh(IocSource source, AnalysisOptions options, TextWriter stderr)
    {
        var ti = options.ThreatIntelligence;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(Math.Clamp(ti.UpdatePeriod, 5, 60)) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("slipsp2p-ti/1.0");
        var writer = TextWriter.Synchronized(stderr);
        var refresher = new FeedRefresher(source, async ct =>
        {
            var warnings = new List<string>();
            var feeds = FeedList.Read(Analysis.ResolveInHome(ti.FeedsFile), warnings);
            var results = await new FeedUpdater(_http, CacheDirectory(options)).UpdateAsync(feeds, ct);
            foreach (var r in results)
            {
                if (r.Status is FeedUpdateStatus.FailedNoCache or FeedUpdateStatus.FailedUsingCache) warnings.Add(r.Message);
            }

            var store = ThreatIntelligenceLoader.Load(ti, ResolveTi, new List<string>());
            foreach (var w in warnings) await writer.WriteLineAsync("slips: warning: " + w);
            return store;
        }, TimeSpan.FromSeconds(ti.UpdatePeriod), TimeProvider.System,
        // Reported once published: a flow read after this line is matched against the new store.
        store => writer.WriteLineAsync($"slips: threat intelligence refreshed: ips {store.IpCount}, ranges {store.RangeCount}, domains {store.DomainCount}, ja3 {store.Ja3Count}, asns {store.AsnCount}"));
        _run = Task.Run(() => refresher.RunAsync(_stop.Token));
    }

    /// <summary>The pipeline's threat intelligence detector, or null when threat intelligence is off.</summary>
    public static ThreatIntelligenceDetector? Of(AnalysisPipeline pipeline)
    {
        foreach (var d in pipeline.Detectors)
        {
            if (d is ThreatIntelligenceDetector ti) return ti;
        }

        return null;
    }

    /// <summary>Starts refreshing <paramref name="source"/> until disposed.</summary>
    public static FeedRefresh Start(IocSource source, AnalysisOptions options, TextWriter stderr) => new(source, options, stderr);

    /// <summary>The feed cache directory of <paramref name="options"/>, relative paths under the repository.</summary>
    public static string CacheDirectory(AnalysisOptions options)
    {
        string c = options.ThreatIntelligence.CacheDirectory;
        return Path.IsPathRooted(c) ? c : Path.Combine(Analysis.Home, c);
    }

    private static string ResolveTi(string path) => Path.IsPathRooted(path) ? path : Path.Combine(Analysis.Home, path);

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            // The refresher stops at its next await; a download in flight is abandoned.
            _run.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Refresh failures are reported as they happen; stopping must not fail the analysis.
        }

        _stop.Dispose();
        _http.Dispose();
    }
}

namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>
/// Builds the IoC store a run starts with: every *.csv and *.txt file directly in the local IoC directory (files
/// whose name contains "ja3" hold JA3 hashes), plus the cached copy of every feed in the feeds file at the feed's
/// threat level, plus the IP-to-ASN tables (ip2asn TSV files named in the options, and cached feeds tagged
/// <c>ip2asn</c>). Feeds are never fetched here: <c>slips ti update</c> or the node's refresher does that.
/// </summary>
public static class ThreatIntelligenceLoader
{
    /// <summary>The tag that marks a feed as an IP-to-ASN table rather than a list of indicators.</summary>
    public const string AsnTableTag = "ip2asn";

    /// <summary>Loads the store; problems (one line per file, named) go to <paramref name="warnings"/>.</summary>
    public static IocStore Load(string localDirectory, string feedsFile, string cacheDirectory, IList<string> warnings) =>
        Load(localDirectory, feedsFile, cacheDirectory, [], warnings);

    /// <summary>
    /// Loads the store from <paramref name="options"/>, each path passed through <paramref name="resolve"/> (relative
    /// paths to the repository); problems go to <paramref name="warnings"/> and to the store's
    /// <see cref="IocStore.LoadWarnings"/>.
    /// </summary>
    public static IocStore Load(ThreatIntelligenceOptions options, Func<string, string> resolve, IList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolve);
        var tables = new List<string>();
        foreach (var t in options.AsnTables.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) tables.Add(resolve(t));
        // An empty path turns its part off; resolved, it would name the home directory.
        string Resolved(string p) => p.Trim().Length == 0 ? "" : resolve(p);
        return Load(Resolved(options.LocalDirectory), Resolved(options.FeedsFile), Resolved(options.CacheDirectory), tables, warnings);
    }

    private static IocStore Load(string localDirectory, string feedsFile, string cacheDirectory, IReadOnlyList<string> asnTables, IList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        var mine = new List<string>();
        var store = new IocStore();
        var asn = new AsnTable.Builder();
        if (Directory.Exists(localDirectory))
        {
            var files = Directory.GetFiles(localDirectory);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var file in files)
            {
                if (!file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && !file.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) continue;
                string name = Path.GetFileName(file);
                bool ja3 = name.Contains("ja3", StringComparison.OrdinalIgnoreCase);
                IocFileReader.Read(file, store, ThreatLevel.Medium, name, ja3, mine);
            }
        }
        else if (localDirectory.Length > 0)
        {
            // Said once, not silently skipped: a build run outside the repository without SLIPS_HOME found no IoC at all.
            mine.Add($"{localDirectory}: threat-intelligence directory not found; no local IoC files loaded");
        }

        // The tables are optional: a missing one is not worth a warning on every run.
        foreach (var table in asnTables)
        {
            if (File.Exists(table)) asn.ReadFile(table, mine);
        }

        if (File.Exists(feedsFile))
        {
            int uncached = 0;
            string firstUncached = "";
            foreach (var feed in FeedList.Read(feedsFile, mine))
            {
                string cached = FeedUpdater.CachePath(cacheDirectory, feed);
                if (!File.Exists(cached))
                {
                    if (uncached++ == 0) firstUncached = feed.Url;
                    continue;
                }

                if (feed.Tags.Contains(AsnTableTag, StringComparison.OrdinalIgnoreCase))
                {
                    asn.ReadFile(cached, mine);
                    continue;
                }

                IocFileReader.Read(cached, store, feed.ThreatLevel, feed.Url, feed.Url.Contains("ja3", StringComparison.OrdinalIgnoreCase), mine);
            }

            if (uncached > 0)
            {
                mine.Add($"{feedsFile}: {uncached} of the listed feeds have no cached copy in {cacheDirectory} (first: {firstUncached}); run 'slips ti update'");
            }
        }
        else if (feedsFile.Length > 0)
        {
            mine.Add($"{feedsFile}: threat-intelligence feeds list not found; no remote feeds loaded");
        }

        store.AsnTable = asn.Build();
        store.LoadWarnings = mine;
        foreach (var w in mine) warnings.Add(w);
        return store;
    }
}

namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>
/// Builds the IoC store a run starts with: every *.csv and *.txt file directly in the local IoC directory (files
/// whose name contains "ja3" hold JA3 hashes), plus the cached copy of every feed in the feeds file at the feed's
/// threat level. Feeds are never fetched here: <c>slips ti update</c> or the node's refresher does that.
/// </summary>
public static class ThreatIntelligenceLoader
{
    /// <summary>Loads the store; problems (file and line named) go to <paramref name="warnings"/>.</summary>
    public static IocStore Load(string localDirectory, string feedsFile, string cacheDirectory, IList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        var store = new IocStore();
        if (Directory.Exists(localDirectory))
        {
            var files = Directory.GetFiles(localDirectory);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var file in files)
            {
                if (!file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && !file.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) continue;
                string name = Path.GetFileName(file);
                bool ja3 = name.Contains("ja3", StringComparison.OrdinalIgnoreCase);
                IocFileReader.Read(file, store, ThreatLevel.Medium, name, ja3, warnings);
            }
        }

        if (File.Exists(feedsFile))
        {
            foreach (var feed in FeedList.Read(feedsFile, warnings))
            {
                string cached = FeedUpdater.CachePath(cacheDirectory, feed);
                if (!File.Exists(cached)) continue;
                var feedWarnings = new List<string>();
                IocFileReader.Read(cached, store, feed.ThreatLevel, feed.Url, feed.Url.Contains("ja3", StringComparison.OrdinalIgnoreCase), feedWarnings);
            }
        }

        return store;
    }
}

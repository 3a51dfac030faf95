namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>One remote feed: where it is, its threat level, its tags.</summary>
public sealed record Feed(string Url, ThreatLevel ThreatLevel, string Tags)
{
    /// <summary>The cache file name of this feed: its host and path made file-safe, plus a short hash against clashes.</summary>
    public string CacheName
    {
        get
        {
            var sb = new System.Text.StringBuilder();
            foreach (char c in Url.AsSpan(Url.IndexOf("://", StringComparison.Ordinal) is int i and >= 0 ? i + 3 : 0))
            {
                sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
                if (sb.Length >= 100) break;
            }

            uint h = 2166136261;
            foreach (char c in Url) h = (h ^ c) * 16777619;
            return sb.Append('-').Append(h.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).ToString();
        }
    }
}

/// <summary>
/// Reads a feeds file in Slips' TI_feeds.csv shape: <c>url, threat level, ['tag', ...]</c> per line; # and ; start
/// comments. Only http and https URLs are accepted.
/// </summary>
public static class FeedList
{
    /// <summary>Most feeds read from one file.</summary>
    public const int MaxFeeds = 1000;

    /// <summary>Reads <paramref name="path"/>; problems (file and line named) go to <paramref name="warnings"/>.</summary>
    public static IReadOnlyList<Feed> Read(string path, IList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(warnings);
        var feeds = new List<Feed>();
        if (!File.Exists(path))
        {
            warnings.Add($"{path}: feeds file not found");
            return feeds;
        }

        if (new FileInfo(path).Length > 4 * 1024 * 1024)
        {
            warnings.Add($"{path}: feeds file larger than 4 MiB, not read");
            return feeds;
        }

        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            var parts = line.Split(',', 3, StringSplitOptions.TrimEntries);
            string url = parts[0].Trim('"');
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                warnings.Add($"{path}:{lineNo}: '{url}' is not an http(s) URL");
                continue;
            }

            var level = ThreatLevel.Medium;
            if (parts.Length > 1 && !ThreatLevels.TryParse(parts[1].Trim('"', ' '), out level))
            {
                warnings.Add($"{path}:{lineNo}: unknown threat level '{parts[1]}', using medium");
                level = ThreatLevel.Medium;
            }

            feeds.Add(new Feed(url, level, parts.Length > 2 ? parts[2].Trim() : ""));
            if (feeds.Count >= MaxFeeds)
            {
                warnings.Add($"{path}: more than {MaxFeeds} feeds, the rest ignored");
                break;
            }
        }

        return feeds;
    }
}

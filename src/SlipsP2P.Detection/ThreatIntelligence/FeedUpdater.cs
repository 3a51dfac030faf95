using System.Net;
using System.Net.Http.Headers;

namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>How a feed update went.</summary>
public enum FeedUpdateStatus
{
    /// <summary>New content was downloaded and cached.</summary>
    Updated,
    /// <summary>The server said 304 Not Modified; the cached copy stays.</summary>
    NotModified,
    /// <summary>The feed could not be fetched; the cached copy is used.</summary>
    FailedUsingCache,
    /// <summary>The feed could not be fetched and there is no cached copy.</summary>
    FailedNoCache,
}

/// <summary>The outcome for one feed.</summary>
public sealed record FeedUpdateResult(Feed Feed, FeedUpdateStatus Status, string Message);

/// <summary>
/// Downloads feeds into a cache directory with conditional requests: the ETag and Last-Modified of the last download
/// are kept beside the copy (<c>name.meta</c>) and sent back as If-None-Match / If-Modified-Since, so an unchanged
/// feed costs one 304. A download goes to a temporary file and replaces the copy only when complete.
/// </summary>
public sealed class FeedUpdater
{
    /// <summary>Largest feed accepted, in bytes.</summary>
    public const long MaxFeedBytes = 256L * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly string _cacheDirectory;

    /// <summary>Creates an updater caching into <paramref name="cacheDirectory"/>.</summary>
    public FeedUpdater(HttpClient http, string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(cacheDirectory);
        _http = http;
        _cacheDirectory = cacheDirectory;
    }

    /// <summary>The cached copy of <paramref name="feed"/>.</summary>
    public static string CachePath(string cacheDirectory, Feed feed)
    {
        ArgumentNullException.ThrowIfNull(feed);
        return Path.Combine(cacheDirectory, feed.CacheName + ".txt");
    }

    /// <summary>Updates every feed, one after the other; never throws for a feed's failure.</summary>
    public async Task<IReadOnlyList<FeedUpdateResult>> UpdateAsync(IReadOnlyList<Feed> feeds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feeds);
        Directory.CreateDirectory(_cacheDirectory);
        var results = new List<FeedUpdateResult>(feeds.Count);
        foreach (var feed in feeds) results.Add(await UpdateOneAsync(feed, cancellationToken));
        return results;
    }

    /// <summary>Updates one feed.</summary>
    public async Task<FeedUpdateResult> UpdateOneAsync(Feed feed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feed);
        Directory.CreateDirectory(_cacheDirectory);
        string path = CachePath(_cacheDirectory, feed);
        string metaPath = path + ".meta";
        var (etag, lastModified) = ReadMeta(metaPath);
        bool cached = File.Exists(path);
        using var request = new HttpRequestMessage(HttpMethod.Get, feed.Url);
        if (cached && etag.Length > 0 && EntityTagHeaderValue.TryParse(etag, out var tag)) request.Headers.IfNoneMatch.Add(tag);
        if (cached && lastModified.Length > 0 && DateTimeOffset.TryParse(lastModified, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var lm)) request.Headers.IfModifiedSince = lm;
        string tmp = path + ".part";
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotModified && cached)
            {
                return new FeedUpdateResult(feed, FeedUpdateStatus.NotModified, $"{feed.Url}: not modified, cached copy kept");
            }

            if (!response.IsSuccessStatusCode)
            {
                return Failed(feed, cached, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength > MaxFeedBytes) return Failed(feed, cached, $"larger than {MaxFeedBytes} bytes");
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            await using (var file = File.Create(tmp))
            {
                var buffer = new byte[81920];
                long total = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += n;
                    if (total > MaxFeedBytes) throw new InvalidDataException($"larger than {MaxFeedBytes} bytes");
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                }
            }

            File.Move(tmp, path, overwrite: true);
            string newEtag = response.Headers.ETag?.ToString() ?? "";
            string newLm = response.Content.Headers.LastModified?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "";
            await File.WriteAllTextAsync(metaPath, $"etag: {newEtag}\nlast-modified: {newLm}\n", cancellationToken);
            return new FeedUpdateResult(feed, FeedUpdateStatus.Updated, $"{feed.Url}: updated ({new FileInfo(path).Length} bytes)");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or UnauthorizedAccessException
                                      or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            TryDelete(tmp);
            return Failed(feed, cached, e.Message);
        }
    }

    private static FeedUpdateResult Failed(Feed feed, bool cached, string why) => cached
        ? new FeedUpdateResult(feed, FeedUpdateStatus.FailedUsingCache, $"{feed.Url}: cannot be fetched ({why}); using the cached copy")
        : new FeedUpdateResult(feed, FeedUpdateStatus.FailedNoCache, $"{feed.Url}: cannot be fetched ({why}) and there is no cached copy");

    private static (string ETag, string LastModified) ReadMeta(string metaPath)
    {
        if (!File.Exists(metaPath) || new FileInfo(metaPath).Length > 4096) return ("", "");
        string etag = "", lm = "";
        foreach (var line in File.ReadLines(metaPath))
        {
            if (line.StartsWith("etag: ", StringComparison.Ordinal)) etag = line[6..].Trim();
            else if (line.StartsWith("last-modified: ", StringComparison.Ordinal)) lm = line[15..].Trim();
        }

        return (etag, lm);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover partial file is overwritten by the next download.
        }
    }
}

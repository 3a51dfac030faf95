using System.Net;
using System.Net.Sockets;
using SlipsP2P.Detection.Detectors.ThreatIntelligence;
using SlipsP2P.Detection.ThreatIntelligence;
using SlipsP2P.Testing;
using static SlipsP2P.Detection.Tests.HeuristicConnectionTests;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class ThreatIntelligenceTests
{
    private static readonly IocInfo s_high = new("test", ThreatLevel.High, "test entry");

    private static IocStore Read(string text, bool ja3 = false)
    {
        var store = new IocStore();
        var warnings = new List<string>();
        IocFileReader.Read(new StringReader(text), "mem.csv", store, ThreatLevel.Medium, "mem.csv", ja3, warnings);
        return store;
    }

    [Fact]
    public void Reader_SlipsOwnFormat_LevelsAndKinds()
    {
        var store = Read("# comment\n23.253.126.58,high,Simda CC\nbncv00.no-ip.info, critical, Variant.Zusy\nAS39770, high, ELITETEAM\n10.20.0.0/16, low, range\n");
        Assert.True(store.TryMatchIp(Ip("23.253.126.58"), out var ip, out var kind));
        Assert.Equal(ThreatLevel.High, ip.ThreatLevel);
        Assert.Equal("Simda CC", ip.Description);
        Assert.Equal(IocKind.Ip, kind);
        Assert.True(store.TryMatchDomain("bncv00.no-ip.info", out var d, out _));
        Assert.Equal(ThreatLevel.Critical, d.ThreatLevel);
        Assert.True(store.TryMatchAsn("AS39770", out _));
        Assert.True(store.TryMatchIp(Ip("10.20.255.1"), out var r, out kind));
        Assert.Equal(IocKind.Range, kind);
        Assert.Equal(ThreatLevel.Low, r.ThreatLevel);
        Assert.False(store.TryMatchIp(Ip("10.21.0.1"), out _, out _));
    }

    [Fact]
    public void Reader_FeedShapes_IndicatorsFound()
    {
        var store = Read("; c\n1.2.3.4\t7\n0.0.0.0 ads.example.net\nhttp://evil.example.org/path/x.exe\n\"2001:db8::5\",\"x\"\nfirst_seen,dst_ip\n2024-01-01 10:00:00,5.6.7.8,443\n");
        Assert.True(store.TryMatchIp(Ip("1.2.3.4"), out var a, out _));
        Assert.Equal(ThreatLevel.Medium, a.ThreatLevel);
        Assert.True(store.TryMatchDomain("ads.example.net", out _, out _));
        Assert.True(store.TryMatchDomain("evil.example.org", out _, out _));
        Assert.True(store.TryMatchIp(Ip("2001:db8::5"), out _, out _));
        Assert.True(store.TryMatchIp(Ip("5.6.7.8"), out _, out _));
        Assert.False(store.TryMatchIp(Ip("0.0.0.0"), out _, out _));
    }

    [Fact]
    public void Reader_BadLines_OneWarningWithCountAndFirstLine()
    {
        var warnings = new List<string>();
        IocFileReader.Read(new StringReader("1.2.3.4\n%%%\n" + new string('a', IocFileReader.MaxLineLength + 1) + "\n$$$\n"), "f.csv", new IocStore(), ThreatLevel.Low, "f", false, warnings);
        var w = Assert.Single(warnings);
        Assert.StartsWith("f.csv: 3 bad lines in the IoC file skipped (first: line 2: no IP", w, StringComparison.Ordinal);
    }

    [Fact]
    public void Reader_NoBadLines_NoWarning()
    {
        var warnings = new List<string>();
        IocFileReader.Read(new StringReader("# comment\n1.2.3.4,high,x\nevil.example.com\n"), "f.csv", new IocStore(), ThreatLevel.Low, "f", false, warnings);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Store_Subdomain_MatchesParentListing()
    {
        var store = new IocStore();
        store.AddDomain("evil.com", s_high);
        Assert.True(store.TryMatchDomain("a.b.evil.com.", out _, out var matched));
        Assert.Equal("evil.com", matched);
        Assert.False(store.TryMatchDomain("notevil.com", out _, out _));
        Assert.False(store.TryMatchDomain("com", out _, out _));
    }

    [Fact]
    public void Store_V6Range_Matches()
    {
        var store = new IocStore();
        store.AddRange(Ip("2001:db8::"), 32, s_high);
        Assert.True(store.TryMatchIp(Ip("2001:db8:1::1"), out _, out _));
        Assert.False(store.TryMatchIp(Ip("2001:db9::1"), out _, out _));
        Assert.False(store.TryMatchIp(Ip("1.2.3.4"), out _, out _));
    }

    [Fact]
    public void Store_HalfMillionEntries_LookupsStayFast()
    {
        var store = new IocStore();
        for (uint i = 0; i < 500_000; i++) store.AddIp(IpAddr.FromV4(0x0B000000u + i), s_high);
        for (int p = 8; p <= 30; p += 2) store.AddRange(IpAddr.FromV4(0xC6000000u), p, s_high);
        for (int i = 0; i < 100_000; i++) store.AddDomain($"d{i}.example.com", s_high);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int hits = 0;
        for (uint i = 0; i < 200_000; i++)
        {
            if (store.TryMatchIp(IpAddr.FromV4(0x0A000000u + i), out _, out _)) hits++;
        }

        sw.Stop();
        Assert.Equal(0, hits);
        // 200k misses through every listed prefix length: a linear scan of 600k entries would take hours; hash probes
        // take well under a second even on a loaded 2-core box, so the bound is loose on purpose.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"200k lookups took {sw.Elapsed}");
        Assert.True(store.TryMatchIp(IpAddr.FromV4(0x0B000000u + 499_999), out _, out _));
    }

    private static ThreatIntelligenceDetector Detector(string iocs, string ja3 = "")
    {
        var store = Read(iocs);
        if (ja3.Length > 0) IocFileReader.Read(new StringReader(ja3), "ja3.csv", store, ThreatLevel.Medium, "ja3.csv", true, new List<string>());
        return new ThreatIntelligenceDetector(new IocSource(store));
    }

    [Fact]
    public void Detector_FlowToListedIp_ToBlacklistedIpWithFeedLevel()
    {
        var sink = Run(Detector("23.253.126.58,high,Simda CC\n"), null,
            Flow("10.0.0.1", "23.253.126.58", 80, 1, established: true), Flow("10.0.0.1", "23.253.126.58", 80, 2, established: true),
            Flow("10.0.0.1", "8.8.8.8", 53, 3, Protocol.Udp));
        var e = Assert.Single(sink.Evidence);
        Assert.Equal(EvidenceTypes.ThreatIntelligenceToBlacklistedIp, e.Type);
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
        Assert.Equal(1.0, e.Confidence);
        Assert.Equal(Ip("10.0.0.1"), e.Attacker);
        Assert.Equal("Threat Intelligence", e.Method);
    }

    [Fact]
    public void Detector_FlowFromListedRange_FromBlacklistedIp() =>
        Assert.Equal(EvidenceTypes.ThreatIntelligenceFromBlacklistedIp,
            Assert.Single(Run(Detector("45.0.0.0/8,medium,x\n"), null, Flow("45.9.9.9", "10.0.0.1", 22, 1)).Evidence).Type);

    [Fact]
    public void Detector_DnsQueryAnswerSniHttpHost_DomainEvidence()
    {
        var sink = Run(Detector("evil.com,high,x\n6.6.6.6,low,y\n"), null,
            new DnsRecord { Source = Ip("10.0.0.1"), Destination = Ip("8.8.8.8"), Timestamp = 1, Query = "www.evil.com", QueryType = 1, Answers = ["6.6.6.6"] },
            new TlsRecord { Source = Ip("10.0.0.2"), Destination = Ip("6.6.6.7"), Timestamp = 2, ServerName = "cdn.evil.com" },
            new HttpRecord { Source = Ip("10.0.0.3"), Destination = Ip("6.6.6.8"), Timestamp = 3, Host = "evil.com:8080" });
        Assert.Equal(3, sink.OfType(EvidenceTypes.ThreatIntelligenceBlacklistedDomain).Count);
        var answer = Assert.Single(sink.OfType(EvidenceTypes.ThreatIntelligenceBlacklistedDnsAnswer));
        Assert.Equal(ThreatLevel.Low, answer.ThreatLevel);
        Assert.Equal("6.6.6.6", answer.AttackerIoc);
    }

    [Fact]
    public void Detector_CaptureAnswersKeptAsAddresses_SameAnswerEvidence()
    {
        var answers = new AddressAnswers([Ip("6.6.6.5"), Ip("6.6.6.6")]);
        var sink = Run(Detector("6.6.6.6,low,y\n"), null,
            new DnsRecord { Source = Ip("10.0.0.1"), Destination = Ip("8.8.8.8"), Timestamp = 1, Query = "www.example.com", QueryType = 1, Answers = answers });
        var answer = Assert.Single(sink.OfType(EvidenceTypes.ThreatIntelligenceBlacklistedDnsAnswer));
        Assert.Equal("6.6.6.6", answer.AttackerIoc);
        Assert.Contains("blacklisted IP or domain: 6.6.6.6 for query: www.example.com", answer.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Detector_MaliciousJa3_Evidence()
    {
        var sink = Run(Detector("", "\"6734f37431670b3ab4292b8f60f29984\", \"high\", \"Trickbot\"\n"), null,
            new TlsRecord { Source = Ip("10.0.2.15"), Destination = Ip("22.33.22.33"), Timestamp = 1, Ja3 = "6734f37431670b3ab4292b8f60f29984" },
            new TlsRecord { Source = Ip("10.0.2.15"), Destination = Ip("22.33.22.34"), Timestamp = 2, Ja3 = "00000000000000000000000000000000" });
        var e = Assert.Single(sink.Evidence);
        Assert.Equal(EvidenceTypes.MaliciousJa3, e.Type);
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
    }

    [Fact]
    public void Detector_StorePublishedMidRun_NewIndicatorsUsed()
    {
        var source = new IocSource(IocStore.Empty);
        var sink = new Support.RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [new ThreatIntelligenceDetector(source)]);
        p.OnEvent(Flow("10.0.0.1", "7.7.7.7", 80, 1));
        Assert.Empty(sink.Evidence);
        source.Publish(Read("7.7.7.7,high,new\n"));
        p.OnEvent(Flow("10.0.0.1", "7.7.7.7", 80, 2));
        Assert.Single(sink.Evidence);
        Assert.Equal(1, source.Generation);
    }

    [Fact]
    public void FeedList_ShippedFile_AllHttpsNoWarnings()
    {
        var warnings = new List<string>();
        var feeds = FeedList.Read(Path.Combine(Requires.RepoRoot, "config", "ti", "feeds", "TI_feeds.csv"), warnings);
        Assert.Empty(warnings);
        Assert.True(feeds.Count >= 5);
        Assert.All(feeds, f => Assert.StartsWith("https://", f.Url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FeedUpdater_LocalServer_ETagThenNotModifiedThenFailureUsesCache()
    {
        var ct = TestContext.Current.CancellationToken;
        using var server = new FeedServer();
        server.Body = "9.9.9.9\nbad.example.com\n";
        string cache = Path.Combine(Path.GetTempPath(), "ti-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var updater = new FeedUpdater(http, cache);
            var feed = new Feed(server.Url + "feed.txt", ThreatLevel.High, "['test']");

            var first = await updater.UpdateOneAsync(feed, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.Equal(FeedUpdateStatus.Updated, first.Status);
            Assert.Equal("", server.LastIfNoneMatch);

            var second = await updater.UpdateOneAsync(feed, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.Equal(FeedUpdateStatus.NotModified, second.Status);
            Assert.Equal(server.ETag, server.LastIfNoneMatch);

            server.Body = "8.8.4.4\n";
            var third = await updater.UpdateOneAsync(feed, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.Equal(FeedUpdateStatus.Updated, third.Status);

            server.Fail = true;
            var fourth = await updater.UpdateOneAsync(feed, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.Equal(FeedUpdateStatus.FailedUsingCache, fourth.Status);
            Assert.Contains("HTTP 500", fourth.Message, StringComparison.Ordinal);

            // The cached copy is what a run loads, at the feed's threat level.
            string feeds = Path.Combine(cache, "feeds.csv");
            await File.WriteAllTextAsync(feeds, feed.Url + ", high, ['test']\n", ct);
            var store = ThreatIntelligenceLoader.Load(Path.Combine(cache, "none"), feeds, cache, new List<string>());
            Assert.True(store.TryMatchIp(Ip("8.8.4.4"), out var info, out _));
            Assert.Equal(ThreatLevel.High, info.ThreatLevel);
            Assert.False(store.TryMatchIp(Ip("9.9.9.9"), out _, out _));
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, true);
        }
    }

    [Fact]
    public async Task FeedUpdater_Unreachable_FailedNoCache()
    {
        var ct = TestContext.Current.CancellationToken;
        // A port that was just free: connection refused, never the Internet.
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        string cache = Path.Combine(Path.GetTempPath(), "ti-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var r = await new FeedUpdater(http, cache).UpdateOneAsync(new Feed($"http://127.0.0.1:{port}/x.txt", ThreatLevel.Low, ""), ct)
                .WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.Equal(FeedUpdateStatus.FailedNoCache, r.Status);
            Assert.Contains($"127.0.0.1:{port}", r.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, true);
        }
    }

    [Fact]
    public async Task FeedRefresher_PeriodElapses_PublishesWithoutStoppingReaders()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var source = new IocSource(IocStore.Empty);
        var refreshed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refresher = new FeedRefresher(source, _ =>
        {
            var s = Read("7.7.7.7,high,x\n");
            refreshed.TrySetResult();
            return Task.FromResult(s);
        }, TimeSpan.FromHours(24), time);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = refresher.RunAsync(cts.Token);
        Assert.Equal(0, source.Generation);
        time.Advance(TimeSpan.FromHours(24));
        await refreshed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        for (int i = 0; i < 100 && source.Generation == 0; i++) await Task.Yield();
        Assert.True(source.Current.TryMatchIp(Ip("7.7.7.7"), out _, out _) || source.Generation == 0);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(1, source.Generation);
        Assert.True(source.Current.TryMatchIp(Ip("7.7.7.7"), out _, out _));
    }

    [Fact]
    public async Task FeedRefresher_Published_IsCalledOnlyOnceTheNewStoreIsInForce()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var source = new IocSource(IocStore.Empty);
        var fresh = Read("7.7.7.7,high,x\n");
        var seen = new TaskCompletionSource<(IocStore Store, IocStore Current, int Generation)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var refresher = new FeedRefresher(source, _ => Task.FromResult(fresh), TimeSpan.FromSeconds(1), time, store =>
        {
            // What the published report says must already hold for a reader of the source.
            seen.TrySetResult((store, source.Current, source.Generation));
            return Task.CompletedTask;
        });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = refresher.RunAsync(cts.Token);
        time.Advance(TimeSpan.FromSeconds(1));
        var (store, current, generation) = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Same(fresh, store);
        Assert.Same(fresh, current);
        Assert.Equal(1, generation);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    /// <summary>A real HTTP server on 127.0.0.1 serving one feed with an ETag and honouring If-None-Match.</summary>
    private sealed class FeedServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public FeedServer()
        {
            for (int attempt = 0; ; attempt++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                int port = ((IPEndPoint)l.LocalEndpoint).Port;
                l.Stop();
                Url = $"http://127.0.0.1:{port}/";
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add(Url);
                try
                {
                    _listener.Start();
                    break;
                }
                catch (HttpListenerException) when (attempt < 5)
                {
                }
            }

            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; private set; } = "";

        public volatile string Body = "";

        public volatile bool Fail;

        public volatile string LastIfNoneMatch = "";

        public string ETag => "\"" + Body.GetHashCode(StringComparison.Ordinal).ToString("x", System.Globalization.CultureInfo.InvariantCulture) + "\"";

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                LastIfNoneMatch = ctx.Request.Headers["If-None-Match"] ?? "";
                if (Fail)
                {
                    ctx.Response.StatusCode = 500;
                }
                else if (LastIfNoneMatch == ETag)
                {
                    ctx.Response.StatusCode = 304;
                }
                else
                {
                    var bytes = System.Text.Encoding.UTF8.GetBytes(Body);
                    ctx.Response.Headers["ETag"] = ETag;
                    ctx.Response.ContentLength64 = bytes.Length;
                    await ctx.Response.OutputStream.WriteAsync(bytes);
                }

                ctx.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}

using SlipsP2P.Detection.Detectors.Dns;
using static SlipsP2P.Detection.Tests.HeuristicConnectionTests;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

/// <summary>DNS_WITHOUT_CONNECTION summarised per profile and window, with bounded waiting state.</summary>
public class DnsWithoutConnectionTests
{
    private static DnsRecord Dns(string src, string query, double ts, params string[] answers) => new()
    {
        Source = Ip(src),
        Destination = Ip("10.0.0.53"),
        DestinationPort = 53,
        Timestamp = ts,
        Uid = "D" + ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Query = query,
        QueryType = 1,
        ResponseCode = 0,
        Answers = answers,
    };

    private static string Answer(int i) => $"93.184.{i / 250}.{1 + (i % 250)}";

    [Fact]
    public void OnFinish_ManyUnusedLookups_OneEvidencePerProfileWithCountAndSample()
    {
        var records = new List<NetEvent>();
        for (int i = 0; i < 40; i++) records.Add(Dns("10.0.0.1", $"n{i}.example.com", 1 + i, Answer(i)));
        for (int i = 0; i < 3; i++) records.Add(Dns("10.0.0.2", $"m{i}.example.org", 100 + i, Answer(100 + i)));
        var sink = Run(new DnsWithoutConnectionDetector(), null, [.. records]);

        Assert.Equal(2, sink.Evidence.Count);
        var first = sink.Evidence.Single(e => e.Attacker == Ip("10.0.0.1"));
        Assert.Equal(EvidenceTypes.DnsWithoutConnection, first.Type);
        Assert.Equal(ThreatLevel.Info, first.ThreatLevel);
        Assert.StartsWith("40 domains resolved with no connection", first.Description, StringComparison.Ordinal);
        Assert.Contains("n0.example.com, n1.example.com", first.Description, StringComparison.Ordinal);
        Assert.DoesNotContain($"n{DnsWithoutConnectionDetector.SampleDomains}.example.com", first.Description, StringComparison.Ordinal);
        Assert.Equal(40, first.Timestamp);
        Assert.Equal(40, first.Uids.Count);
        Assert.Equal(1, first.TimeWindow);
        var second = sink.Evidence.Single(e => e.Attacker == Ip("10.0.0.2"));
        Assert.StartsWith("3 domains resolved", second.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void OnFinish_NamesKeptInTheSlotOrBeside_ReportedExactly()
    {
        // 31 characters fit the slot; 32 and a non-ASCII name are kept beside it; the same name in other case is one sample.
        string fits = "a234567890123456789.example.com";
        string longer = "ab234567890123456789.example.com";
        Assert.Equal(31, fits.Length);
        Assert.Equal(32, longer.Length);
        var sink = Run(new DnsWithoutConnectionDetector(), null,
            Dns("10.0.0.1", fits, 1, Answer(1)),
            Dns("10.0.0.1", longer, 2, Answer(2)),
            Dns("10.0.0.1", "bücher.example.de", 3, Answer(3)),
            Dns("10.0.0.1", "Mixed.Example.com", 4, Answer(4)),
            Dns("10.0.0.1", "mixed.example.COM", 5, Answer(5)));

        var e = Assert.Single(sink.Evidence);
        Assert.Equal($"5 domains resolved with no connection within 1800 s in this time window, e.g. {fits}, {longer}, bücher.example.de, Mixed.Example.com",
                     e.Description);
        Assert.Equal(5, e.Uids.Count);
    }

    [Fact]
    public void Ipv6HostsResolversAndAnswers_KeptBesideTheSlots_FreedAndReportedExactly()
    {
        // Slots keep IPv4 addresses in 32 bits; IPv6 ones (and 255.255.255.255, the marker) are kept beside them.
        var detector = new DnsWithoutConnectionDetector();
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [detector]);
        var v6 = Dns("2001:db8::5", "six.example.com", 1, "2001:db8:1::80", "93.184.216.34");
        v6.Destination = Ip("2001:db8::53");
        var marker = Dns("10.0.0.7", "marker.example.com", 2, "2001:db8:1::81");
        marker.Destination = Ip("255.255.255.255");
        var answered = Dns("2001:db8::6", "gone.example.com", 3, "2001:db8:1::82");
        p.OnEvent(v6);
        p.OnEvent(marker);
        p.OnEvent(answered);
        Assert.Equal(3, detector.Pending);

        p.OnEvent(Flow("2001:db8::6", "2001:db8:1::82", 443, 4, established: true)); // frees its lookup
        p.OnEvent(Flow("2001:db8::6", "2001:db8:1::80", 443, 5, established: true)); // another host's answer: nothing
        Assert.Equal(2, detector.Pending);
        p.Finish();

        Assert.Equal(2, sink.Evidence.Count);
        var six = sink.Evidence.Single(e => e.Attacker == Ip("2001:db8::5"));
        Assert.Equal(Ip("2001:db8::53"), six.Victim);
        Assert.Equal("domain six.example.com resolved with no connection", six.Description);
        var m = sink.Evidence.Single(e => e.Attacker == Ip("10.0.0.7"));
        Assert.Equal(Ip("255.255.255.255"), m.Victim);
        Assert.DoesNotContain(sink.Evidence, e => e.Attacker == Ip("2001:db8::6"));
    }

    [Fact]
    public void Ipv6Answer_ConnectionFreesTheLookup_AndTheSlotIsReusedCleanly()
    {
        var detector = new DnsWithoutConnectionDetector();
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [detector]);
        p.OnEvent(Dns("2001:db8::5", "a.example.com", 1, "2001:db8:1::80"));
        p.OnEvent(Flow("2001:db8::5", "2001:db8:1::80", 443, 2, established: true));
        Assert.Equal(0, detector.Pending);
        // The freed slot and node now hold IPv4 addresses: nothing of the IPv6 lookup is left in them.
        p.OnEvent(Dns("10.0.0.1", "b.example.com", 3, "93.184.216.34"));
        p.Finish();
        var e = Assert.Single(sink.Evidence);
        Assert.Equal(Ip("10.0.0.1"), e.Attacker);
        Assert.Equal(Ip("10.0.0.53"), e.Victim);
        Assert.Equal("domain b.example.com resolved with no connection", e.Description);
    }

    [Fact]
    public void OnFinish_OneLookupWithALongName_NamedExactly()
    {
        string name = new string('x', 40) + ".example.com";
        var e = Assert.Single(Run(new DnsWithoutConnectionDetector(), null, Dns("10.0.0.1", name, 1, Answer(1))).Evidence);
        Assert.Equal($"domain {name} resolved with no connection", e.Description);
    }

    [Fact]
    public void OnFlow_CaptureAnswersKeptAsAddresses_ConnectionFreesTheLookup()
    {
        var detector = new DnsWithoutConnectionDetector();
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink(), [detector]);
        var lookup = Dns("10.0.0.1", "a.example.com", 1);
        lookup.Answers = new AddressAnswers([Ip("93.184.216.34"), Ip("93.184.216.35")]);
        p.OnEvent(lookup);
        Assert.Equal(1, detector.Pending);
        p.OnEvent(Flow("10.0.0.1", "93.184.216.35", 443, 4, established: true));
        Assert.Equal(0, detector.Pending);
    }

    [Fact]
    public void OnFlow_ConnectionToSecondAnswer_FreesTheLookupAtOnce()
    {
        var detector = new DnsWithoutConnectionDetector();
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [detector]);
        p.OnEvent(Dns("10.0.0.1", "a.example.com", 1, "93.184.216.34", "93.184.216.35"));
        p.OnEvent(Dns("10.0.0.1", "a.example.com", 2, "93.184.216.35"));
        p.OnEvent(Dns("10.0.0.1", "b.example.com", 3, "93.184.216.36"));
        Assert.Equal(3, detector.Pending);
        p.OnEvent(Flow("10.0.0.1", "93.184.216.35", 443, 4, established: true));
        Assert.Equal(1, detector.Pending);
        // A connection from another host answers nothing of this one's.
        p.OnEvent(Flow("10.0.0.9", "93.184.216.36", 443, 5, established: true));
        Assert.Equal(1, detector.Pending);
        p.Finish();
        var e = Assert.Single(sink.Evidence);
        Assert.Equal("domain b.example.com resolved with no connection", e.Description);
        Assert.Equal(0, detector.Pending);
    }

    [Fact]
    public void OnRecord_HostAlreadyTalkingToAnswer_NotWaiting()
    {
        var detector = new DnsWithoutConnectionDetector();
        var sink = Run(detector, null,
            Flow("10.0.0.1", "93.184.216.34", 443, 1, established: true),
            Dns("10.0.0.1", "a.example.com", 2, "93.184.216.34"));
        Assert.Empty(sink.Evidence);
    }

    [Fact]
    public void Expire_LookupsInTwoWindows_OneEvidenceEachRaisedWhenTheWindowIsComplete()
    {
        var o = new AnalysisOptions { TimeWindowWidth = 100 };
        o.FlowAlerts.DnsWithoutConnectionWait = 10;
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(o, sink, [new DnsWithoutConnectionDetector()]);
        p.OnEvent(Dns("10.0.0.1", "a.example.com", 0, Answer(1)));
        p.OnEvent(Dns("10.0.0.1", "b.example.com", 50, Answer(2)));
        p.OnEvent(Dns("10.0.0.1", "c.example.com", 150, Answer(3)));
        // Window 1's lookups have waited, but one of window 2 still waits: window 1 is reported, window 2 is not.
        Assert.Single(sink.Evidence);
        Assert.Equal(1, sink.Evidence[0].TimeWindow);
        Assert.StartsWith("2 domains", sink.Evidence[0].Description, StringComparison.Ordinal);
        // Window 2 may still see lookups until the traffic leaves it.
        p.OnEvent(Flow("10.0.0.7", "1.1.1.1", 80, 170));
        Assert.Single(sink.Evidence);
        p.OnEvent(Flow("10.0.0.7", "1.1.1.1", 80, 250));
        Assert.Equal(2, sink.Evidence.Count);
        Assert.Equal(2, sink.Evidence[1].TimeWindow);
        Assert.Equal("domain c.example.com resolved with no connection", sink.Evidence[1].Description);
        p.Finish();
        Assert.Equal(2, sink.Evidence.Count);
    }

    [Fact]
    public void OnRecord_MoreThanMaxPendingWaiting_CountsDroppedAndStaysBounded()
    {
        var detector = new DnsWithoutConnectionDetector();
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink(), [detector]);
        int n = DnsWithoutConnectionDetector.MaxPending + 10;
        for (int i = 0; i < n; i++) p.OnEvent(Dns("10.0.0.1", "x.example.com", 1 + (i * 0.001), IpAddr.FromV4(0x5D000000u + (uint)i).ToString()));
        Assert.Equal(DnsWithoutConnectionDetector.MaxPending, detector.Pending);
        Assert.Equal(10, detector.Dropped);
        Assert.True(p.Stats.Dropped >= 10, $"pipeline dropped {p.Stats.Dropped}");
    }

    [Fact]
    public void OnFlow_ChurnOfAnsweredLookups_KeepsNothingWaiting()
    {
        var detector = new DnsWithoutConnectionDetector();
        var sink = Run(detector, null, [.. Enumerable.Range(0, 5000).SelectMany(i => new NetEvent[]
        {
            Dns("10.0.0.1", $"n{i}.example.com", i, Answer(i % 7), Answer((i % 7) + 1)),
            Flow("10.0.0.1", Answer((i % 7) + 1), 443, i + 0.5, established: true),
        })]);
        Assert.Empty(sink.Evidence);
        Assert.Equal(0, detector.Pending);
    }

    [Fact]
    public void OnFlow_ThousandsWaitingAcrossBucketGrowth_FreesExactlyTheContactedLookups()
    {
        // 20,000 lookups with one to three answers (about 40,000 waiting answers: the chain buckets, 16,384 at first,
        // double twice while lookups wait), then 10,000 connections to the answers of random lookups, sometimes from
        // another host or to an address no lookup named. What is reported is exactly what a plain model says: every lookup no connection
        // answered, per host.
        var rng = new Random(11);
        var detector = new DnsWithoutConnectionDetector();
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink, [detector]);
        string[] hosts = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
        var lookups = new List<(string Host, string[] Answers)>();
        var byPair = new Dictionary<(string Host, string Answer), List<int>>();
        for (int i = 0; i < 20_000; i++)
        {
            string host = hosts[rng.Next(hosts.Length)];
            // Answers drawn from a pool smaller than the lookups, so that hosts share answers and chains hold many pairs.
            string[] answers = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => IpAddr.FromV4(0x5D000000u + (uint)rng.Next(30_000)).ToString()).Distinct().ToArray();
            lookups.Add((host, answers));
            foreach (string a in answers) (byPair.TryGetValue((host, a), out var list) ? list : byPair[(host, a)] = []).Add(i);
            p.OnEvent(Dns(host, $"n{i}.example.com", 1 + (i * 0.01), answers));
        }

        Assert.Equal(20_000, detector.Pending); // no connection yet: every lookup waits
        var open = new HashSet<int>(Enumerable.Range(0, lookups.Count));
        double t = 300;
        for (int k = 0; k < 10_000; k++)
        {
            int i = rng.Next(lookups.Count);
            var (host, answers) = lookups[i];
            string src = rng.Next(5) == 0 ? "10.0.0.9" : host; // another host answers nothing of this one's
            string dst = rng.Next(6) == 0 ? "198.51.100.7" : answers[rng.Next(answers.Length)];
            p.OnEvent(Flow(src, dst, 443, t += 0.01, established: true));
            if (src != host || dst == "198.51.100.7") continue;
            open.ExceptWith(byPair[(host, dst)]);
        }

        Assert.Equal(open.Count, detector.Pending);
        p.Finish();

        foreach (string host in hosts)
        {
            int expected = open.Count(j => lookups[j].Host == host);
            var e = Assert.Single(sink.OfType(EvidenceTypes.DnsWithoutConnection), x => x.Attacker == Ip(host));
            Assert.StartsWith($"{expected} domains resolved with no connection", e.Description, StringComparison.Ordinal);
            // The uid list keeps the most recent of the host's unanswered lookups, in order.
            var last = open.Where(j => lookups[j].Host == host).Order().TakeLast(Evidence.MaxUids)
                .Select(j => "D" + (1 + (j * 0.01)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(last, e.Uids);
        }
    }
}

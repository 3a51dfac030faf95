using System.Globalization;
using SlipsP2P.Detection.Detectors;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

/// <summary>
/// The pipeline offers a detector only the record kinds it names (issue 5, detection fast path). A detector that named
/// too few would lose evidence: every built-in detector is checked against itself offered every record.
/// </summary>
public sealed class DispatchTests
{
    [Fact]
    public void OnEvent_DetectorHandlingDnsOnly_OfferedDnsRecordsOnly()
    {
        var counting = new CountingDetector(RecordKinds.Dns);
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink(), [counting]);
        p.OnEvent(Flow("10.0.0.1", "93.184.216.34", 443, 1000));
        p.OnEvent(Dns("10.0.0.1", "example.com", 1001, answers: "93.184.216.34"));
        p.OnEvent(new TlsRecord { Source = Ip("10.0.0.1"), Destination = Ip("93.184.216.34"), Timestamp = 1002 });
        p.OnEvent(Dns("10.0.0.1", "example.org", 1003));
        p.Finish();
        Assert.Equal((0, 2, 1), (counting.Flows, counting.Records, counting.Finishes));
    }

    [Fact]
    public void OnEvent_DetectorHandlingFlowsAndTls_OfferedThoseOnly()
    {
        var counting = new CountingDetector(RecordKinds.Flow | RecordKinds.Tls);
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink(), [counting]);
        p.OnEvent(Flow("10.0.0.1", "93.184.216.34", 443, 1000));
        p.OnEvent(Dns("10.0.0.1", "example.com", 1001, answers: "93.184.216.34"));
        p.OnEvent(new TlsRecord { Source = Ip("10.0.0.1"), Destination = Ip("93.184.216.34"), Timestamp = 1002 });
        p.OnEvent(new ArpRecord { Source = Ip("10.0.0.1"), Timestamp = 1003 });
        Assert.Equal((1, 1), (counting.Flows, counting.Records));
    }

    [Fact]
    public void OnEvent_BuiltInDetectorsOnMixedTraffic_SameEvidenceAsWhenOfferedEveryRecord()
    {
        // Arrange: a mix of every record kind, with the patterns the detectors look for.
        var records = MixedTraffic(seed: 5, count: 12_000);
        var options = new AnalysisOptions();

        // Act: the built-in detectors as the pipeline dispatches them, and the same detectors offered every record.
        var selective = Run(options, AnalysisPipeline.DefaultDetectors(options), records);
        var everything = Run(options, AnalysisPipeline.DefaultDetectors(options).Select(d => (IDetector)new EveryRecord(d)), records);

        // Assert
        Assert.Equal(everything, selective);
        int types = selective.Select(e => e.Split('|')[0]).Distinct().Count();
        Assert.True(types >= 10, $"the mix raised only {types} evidence types: {string.Join(", ", selective.Select(e => e.Split('|')[0]).Distinct())}");
    }

    [Fact]
    public void InputKinds_FlowsOnly_DetectorNeedingDnsLeftOutOthersNot()
    {
        var needsDns = new CountingDetector(RecordKinds.Flow | RecordKinds.Dns, needed: RecordKinds.Dns);
        var flowsOnly = new CountingDetector(RecordKinds.Flow);
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink(), [needsDns, flowsOnly]) { InputKinds = RecordKinds.Flow };
        p.OnEvent(Flow("10.0.0.1", "93.184.216.34", 443, 1000));
        p.OnEvent(Flow("10.0.0.1", "93.184.216.35", 443, 1001));
        p.Finish();
        Assert.Equal((0, 1), (needsDns.Flows, needsDns.Finishes));
        Assert.Equal(2, flowsOnly.Flows);
        Assert.Throws<InvalidOperationException>(() => p.InputKinds = RecordKinds.All);
    }

    [Fact]
    public void InputKinds_FlowsOnlyInput_BuiltInDetectorsGiveTheSameEvidence()
    {
        // The flows of the mixed traffic, as a binetflow would give them: leaving out the checks that need DNS changes
        // nothing.
        var flows = MixedTraffic(seed: 7, count: 12_000).FindAll(r => r is FlowRecord);
        var options = new AnalysisOptions();
        var all = Run(options, AnalysisPipeline.DefaultDetectors(options), flows);
        var flowKinds = Run(options, AnalysisPipeline.DefaultDetectors(options), flows, RecordKinds.Flow);
        Assert.NotEmpty(all);
        Assert.Equal(all, flowKinds);
    }

    [Fact]
    public void Prefetch_AheadOfEveryRecordAndOfRecordsNeverSent_SameEvidenceAsWithout()
    {
        // The hint must change nothing: told of each record eight records early (as the flow table and the hand-off
        // between threads do), of flows that never come, and before the first record, the built-in detectors raise
        // exactly what they raise without it.
        var records = MixedTraffic(seed: 11, count: 12_000);
        var options = new AnalysisOptions();
        var without = Run(options, AnalysisPipeline.DefaultDetectors(options), records);
        var with = Run(options, AnalysisPipeline.DefaultDetectors(options), records, prefetchAhead: 8);
        Assert.Equal(without, with);
        Assert.NotEmpty(with);
    }

    [Fact]
    public void OnEvent_FlowRecordsScrambledOnceSent_SameEvidenceAsKeptIntact()
    {
        // The pipeline says it keeps no flow record (KeepsRecords false), so a producer reuses them: here every flow
        // is overwritten with another flow's values right after OnEvent returns. A detector that kept the object (a
        // queue of flows waiting for their HTTP or TLS record) would raise about the wrong flow, or not at all.
        var options = new AnalysisOptions();
        var intact = Run(options, AnalysisPipeline.DefaultDetectors(options), MixedTraffic(seed: 13, count: 12_000));
        var scrambled = Run(options, AnalysisPipeline.DefaultDetectors(options), MixedTraffic(seed: 13, count: 12_000), scramble: true);
        Assert.Equal(intact, scrambled);
        Assert.Contains(intact, e => e.StartsWith(EvidenceTypes.NonHttpPort80Connection, StringComparison.Ordinal) || e.StartsWith(EvidenceTypes.NonSslPort443Connection, StringComparison.Ordinal));
        Assert.False(new AnalysisPipeline(options, new RecordingSink(), []).KeepsRecords);
    }

    [Fact]
    public void Prefetch_BeforeTheFirstRecord_LeavesTheWindowsUnstarted()
    {
        var p = new AnalysisPipeline(new AnalysisOptions(), new RecordingSink(), AnalysisPipeline.DefaultDetectors(new AnalysisOptions()));
        p.Prefetch(Flow("10.0.0.1", "93.184.216.34", 443, 5000, established: true));
        Assert.True(double.IsNaN(p.Windows.Origin));
        p.OnEvent(Flow("10.0.0.1", "93.184.216.34", 443, 1000));
        Assert.Equal(1000, p.Windows.Origin);
    }

    private static List<string> Run(AnalysisOptions options, IEnumerable<IDetector> detectors, List<NetEvent> records,
                                    RecordKinds inputKinds = RecordKinds.All, int prefetchAhead = 0, bool scramble = false)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(options, sink, detectors) { InputKinds = inputKinds };
        for (int i = 0; i < records.Count; i++)
        {
            if (prefetchAhead > 0)
            {
                if (i + prefetchAhead < records.Count) p.Prefetch(records[i + prefetchAhead]);
                if (records[i] is FlowRecord f && i % 7 == 0)
                {
                    p.Prefetch(Flow(f.Destination.ToString(), f.Source.ToString(), (ushort)(f.DestinationPort + 1), f.Timestamp + 3600, established: true));
                }
            }

            p.OnEvent(records[i]);
            if (scramble && records[i] is FlowRecord sent)
            {
                sent.Reset();
                sent.Source = Ip("203.0.113.250");
                sent.Destination = Ip("198.51.100.250");
                sent.DestinationPort = 9;
                sent.Timestamp = 1;
                sent.Uid = "CXXXXXXXXXXXXXXXXX";
            }
        }

        p.Finish();
        Assert.Empty(p.Errors);
        return sink.Evidence.ConvertAll(e => string.Join('|', e.Type, e.Attacker, e.Victim, e.Direction, e.TimeWindow, e.ThreatLevel,
            e.Confidence.ToString("R", CultureInfo.InvariantCulture), e.Timestamp.ToString("R", CultureInfo.InvariantCulture),
            e.Protocol, e.Port, e.AttackerIoc, e.Method, string.Join(',', e.Uids), e.Description));
    }

    /// <summary>Deterministic traffic of every record kind from a few hosts, with scans, guessing, lookups and oddities.</summary>
    internal static List<NetEvent> MixedTraffic(int seed, int count)
    {
        var random = new Random(seed);
        string[] hosts = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "192.168.1.10", "198.51.100.7"];
        string[] servers = ["93.184.216.34", "93.184.216.35", "203.0.113.9", "10.0.0.200", "23.253.126.58", "8.8.8.8"];
        string[] names = ["example.com", "www.example.org", "cdn.example.net", "x1y2z3.example.biz", "1.0.0.10.in-addr.arpa", "printer.local", "bncv00.no-ip.info"];
        ushort[] ports = [22, 23, 53, 80, 443, 0, 4444, 8080, 6667, 3389];
        var records = new List<NetEvent>(count);
        double ts = 1_700_000_000;
        for (int i = 0; i < count; i++)
        {
            ts += random.NextDouble() * 0.8;
            string src = hosts[random.Next(hosts.Length)];
            string dst = random.Next(4) == 0 ? $"203.0.113.{random.Next(1, 120)}" : servers[random.Next(servers.Length)];
            string uid = "C" + i.ToString(CultureInfo.InvariantCulture);
            switch (random.Next(20))
            {
                case < 9:
                    records.Add(RandomFlow(random, src, dst, ports[random.Next(ports.Length)], ts, uid));
                    break;
                case < 12:
                    var dns = Dns(src, names[random.Next(names.Length)], ts, qtype: random.Next(4) == 0 ? (ushort)16 : (ushort)1,
                        rcode: random.Next(5) == 0 ? 3 : 0, answers: random.Next(3) switch
                        {
                            0 => [servers[random.Next(servers.Length)], $"203.0.113.{random.Next(1, 120)}"],
                            1 => ["TXT 44 " + RandomText(random, 44), "alias.example.com"],
                            _ => [],
                        });
                    dns.Uid = uid;
                    records.Add(dns);
                    break;
                case 12:
                    records.Add(new HttpRecord { Source = Ip(src), Destination = Ip(dst), DestinationPort = 80, Timestamp = ts, Uid = "C" + (i - random.Next(1, 5)).ToString(CultureInfo.InvariantCulture), Host = names[random.Next(names.Length)] + ":80" });
                    break;
                case 13:
                    records.Add(new TlsRecord
                    {
                        Source = Ip(src), Destination = Ip(dst), DestinationPort = 443, Timestamp = ts, Uid = "C" + (i - random.Next(1, 5)).ToString(CultureInfo.InvariantCulture),
                        ServerName = names[random.Next(names.Length)], Ja3 = random.Next(2) == 0 ? "6734f37431670b3ab4292b8f60f29984" : RandomHex(random, 32),
                        Subject = "CN=" + names[random.Next(names.Length)], Issuer = "CN=Some CA", ValidationStatus = random.Next(4) == 0 ? "self signed certificate" : "ok",
                    });
                    break;
                case 14:
                    records.Add(new SshRecord { Source = Ip(src), Destination = Ip(dst), DestinationPort = 22, Timestamp = ts, Uid = uid, Client = "SSH-2.0-libssh", AuthAttempts = random.Next(1, 4), AuthSuccess = random.Next(6) == 0 });
                    break;
                case 15:
                    records.Add(new NoticeRecord { Source = Ip(src), Destination = Ip(dst), DestinationPort = 22, Timestamp = ts, Uid = uid, Note = "SSH::Password_Guessing", Message = "10.0.0.1 appears to be guessing SSH passwords (seen in 30 connections)." });
                    break;
                case 16:
                    records.Add(new ArpRecord { Source = Ip(src), Destination = Ip(random.Next(2) == 0 ? src : $"10.0.0.{random.Next(1, 250)}"), Timestamp = ts, Operation = random.Next(1, 3), SourceMac = "aa:bb:cc:00:00:0" + random.Next(10).ToString(CultureInfo.InvariantCulture), DestinationMac = random.Next(2) == 0 ? "ff:ff:ff:ff:ff:ff" : "00:00:00:00:00:00" });
                    break;
                case 17:
                    records.Add(new DhcpRecord { Source = Ip(src), Destination = Ip("10.0.0.254"), Timestamp = ts, Uid = uid, RequestedAddress = Ip($"10.0.0.{random.Next(1, 250)}") });
                    break;
                case 18:
                    records.Add(new SmtpRecord { Source = Ip(src), Destination = Ip(dst), DestinationPort = 25, Timestamp = ts, Uid = uid, LastReply = random.Next(2) == 0 ? "535 5.7.8 Authentication credentials invalid" : "250 OK" });
                    break;
                default:
                    records.Add(new LoginRecord { Source = Ip(src), Destination = Ip(dst), DestinationPort = 23, Timestamp = ts, Uid = uid, User = "root", Success = random.Next(3) == 0 });
                    break;
            }
        }

        return records;
    }

    private static FlowRecord RandomFlow(Random random, string src, string dst, ushort port, double ts, string uid)
    {
        var protocol = random.Next(10) switch { < 6 => Protocol.Tcp, < 9 => Protocol.Udp, _ => Protocol.Icmp };
        bool established = random.Next(3) > 0;
        var flow = Flow(src, dst, port, ts, protocol, established, srcPackets: random.Next(1, 30),
            srcBytes: random.Next(50) == 0 ? 150_000_000 : random.Next(0, 5000), dstBytes: random.Next(0, 20000),
            duration: random.Next(40) == 0 ? 4000 : random.NextDouble() * 20, uid: uid,
            service: port switch { 53 => "dns", 80 => random.Next(2) == 0 ? "http" : "", 443 => random.Next(2) == 0 ? "ssl" : "", 22 => "ssh", _ => "" },
            sport: protocol == Protocol.Icmp ? (ushort)8 : (ushort)random.Next(1024, 65535));
        if (!established && protocol == Protocol.Tcp) flow.State = random.Next(2) == 0 ? ConnState.REJ : ConnState.S0;
        return flow;
    }

    private static string RandomText(Random random, int length) =>
        string.Create(length, random, static (span, r) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = (char)r.Next(33, 127);
        });

    private static string RandomHex(Random random, int length) =>
        string.Create(length, random, static (span, r) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = "0123456789abcdef"[r.Next(16)];
        });

    private sealed class CountingDetector(RecordKinds kinds, RecordKinds needed = RecordKinds.None) : IDetector
    {
        public RecordKinds NeededKinds => needed;

        public int Flows { get; private set; }

        public int Records { get; private set; }

        public int Finishes { get; private set; }

        public string Name => "counting";

        public RecordKinds HandledKinds => kinds;

        public void OnFlow(FlowRecord flow, DetectionContext ctx) => Flows++;

        public void OnRecord(NetEvent record, DetectionContext ctx) => Records++;

        public void OnFinish(DetectionContext ctx) => Finishes++;

        public void EvictBefore(int window)
        {
        }
    }

    /// <summary>A detector offered every record, whatever it names.</summary>
    private sealed class EveryRecord(IDetector inner) : IDetector
    {
        public string Name => inner.Name;

        public RecordKinds HandledKinds => RecordKinds.All;

        public void OnFlow(FlowRecord flow, DetectionContext ctx) => inner.OnFlow(flow, ctx);

        public void OnRecord(NetEvent record, DetectionContext ctx) => inner.OnRecord(record, ctx);

        public void OnFinish(DetectionContext ctx) => inner.OnFinish(ctx);

        public void EvictBefore(int window) => inner.EvictBefore(window);
    }
}

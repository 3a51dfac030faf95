using SlipsP2P.Detection.Detectors.SshBruteForce;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class SshBruteForceTests
{
    private static RecordingSink Run(IEnumerable<NetEvent> records)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(new AnalysisOptions(), sink);
        foreach (var r in records) p.OnEvent(r);
        return sink;
    }

    private static IEnumerable<FlowRecord> Attempts(int n, ushort port = 22, long bytes = 2000, string service = "") =>
        Enumerable.Range(1, n).Select(i => Flow("147.32.80.40", "147.32.80.37", port, 1000 + i, established: true, srcBytes: bytes / 2, dstBytes: bytes / 2, uid: $"C{i}", service: service));

    [Fact]
    public void Flows_EightAttempts_NoEvidence() => Assert.Empty(Run(Attempts(8)).OfType(EvidenceTypes.PasswordGuessing));

    [Fact]
    public void Flows_NineAttempts_MediumPasswordGuessing()
    {
        var e = Assert.Single(Run(Attempts(9)).OfType(EvidenceTypes.PasswordGuessing));
        Assert.Equal(ThreatLevel.Medium, e.ThreatLevel);
        Assert.Equal(0.5, e.Confidence);
        Assert.Equal((ushort)22, e.Port);
        Assert.Equal(Ip("147.32.80.37"), e.Victim);
        Assert.Equal(9, e.Uids.Count);
    }

    [Fact]
    public void Flows_FortyAttempts_ReportedAtDoublingSteps()
    {
        var es = Run(Attempts(40)).OfType(EvidenceTypes.PasswordGuessing);
        var counts = es.Select(e => int.Parse(e.Description.Split("Attempts observed: ")[1].Split('.')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([9, 10, 12, 16, 24, 40], counts);
        Assert.Equal(1.0, es[^1].Confidence);
        Assert.True(es[3].Confidence > es[0].Confidence);
    }

    [Fact]
    public void Flows_SuccessfulLoginSize_NotCounted() => Assert.Empty(Run(Attempts(20, bytes: 5000)).OfType(EvidenceTypes.PasswordGuessing));

    [Fact]
    public void Flows_OtherPortWithoutSshService_NotCounted() => Assert.Empty(Run(Attempts(20, port: 902)).OfType(EvidenceTypes.PasswordGuessing));

    [Fact]
    public void Flows_OtherPortWithSshService_Counted() => Assert.Single(Run(Attempts(9, port: 902, service: "ssh")).OfType(EvidenceTypes.PasswordGuessing));

    [Fact]
    public void Flows_OtherPortAfterSshRecord_Counted()
    {
        var records = new List<NetEvent> { new SshRecord { Source = Ip("147.32.80.40"), Destination = Ip("147.32.80.37"), DestinationPort = 902, Timestamp = 999, Uid = "S0" } };
        records.AddRange(Attempts(8, port: 902));
        Assert.Single(Run(records).OfType(EvidenceTypes.PasswordGuessing));
    }

    [Fact]
    public void SshLog_AuthAttemptsSummed_ReportedAtThreshold()
    {
        var records = Enumerable.Range(1, 3).Select(i => (NetEvent)new SshRecord
        {
            Source = Ip("10.0.0.9"), Destination = Ip("10.0.0.1"), DestinationPort = 22, Timestamp = 1000 + i, Uid = $"S{i}", AuthSuccess = false, AuthAttempts = 3,
        });
        var e = Assert.Single(Run(records).OfType(EvidenceTypes.PasswordGuessing));
        Assert.Contains("Attempts observed: 9.", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void SshLog_AndFlowOfSameConnection_CountedOnce()
    {
        var records = new List<NetEvent>();
        for (int i = 1; i <= 5; i++)
        {
            records.Add(Flow("10.0.0.9", "10.0.0.1", 22, 1000 + i, established: true, srcBytes: 1000, dstBytes: 1000, uid: $"C{i}"));
            records.Add(new SshRecord { Source = Ip("10.0.0.9"), Destination = Ip("10.0.0.1"), DestinationPort = 22, Timestamp = 1000 + i, Uid = $"C{i}", AuthSuccess = false, AuthAttempts = 1 });
        }

        Assert.Empty(Run(records).OfType(EvidenceTypes.PasswordGuessing));
    }

    [Fact]
    public void SshLog_AndFlowWithPackedUid_CountedOnce_UidsInTheEvidence()
    {
        // The flow carries its uid packed (as a capture's or a conn.log's flows do), the ssh.log record as text.
        var records = new List<NetEvent>();
        for (int i = 1; i <= 9; i++)
        {
            string uid = $"CHhAvVGS1DHFjwGM{i}";
            var flow = Flow("10.0.0.9", "10.0.0.1", 22, 1000 + i, established: true, srcBytes: 1000, dstBytes: 1000);
            Assert.True(PackedUid.TryPack(uid, out var packed));
            flow.SetUid(packed);
            records.Add(flow);
            records.Add(new SshRecord { Source = Ip("10.0.0.9"), Destination = Ip("10.0.0.1"), DestinationPort = 22, Timestamp = 1000 + i, Uid = uid, AuthSuccess = false, AuthAttempts = 1 });
        }

        // Nine connections of one attempt each, seen twice: 9 attempts, reported once (at the threshold).
        var e = Assert.Single(Run(records).OfType(EvidenceTypes.PasswordGuessing));
        Assert.Contains("Attempts observed: 9.", e.Description, StringComparison.Ordinal);
        Assert.Equal([.. Enumerable.Range(1, 9).Select(i => $"CHhAvVGS1DHFjwGM{i}")], e.Uids);
    }

    // Flows to one server with their uids packed (as a capture's flows carry them), one connection each.
    private static List<NetEvent> PackedAttempts(int n, string src = "10.0.0.9", string dst = "10.0.0.1", double start = 1000)
    {
        var records = new List<NetEvent>();
        for (int i = 1; i <= n; i++)
        {
            var flow = Flow(src, dst, 22, start + i, established: true, srcBytes: 1000, dstBytes: 1000);
            Assert.True(PackedUid.TryPack($"CHhAvVGS1DHFjw{i:D3}", out var packed));
            flow.SetUid(packed);
            records.Add(flow);
        }

        return records;
    }

    private static (RecordingSink Sink, SshBruteForceDetector Detector) RunOne(IEnumerable<NetEvent> records, AnalysisOptions? options = null)
    {
        var sink = new RecordingSink();
        var detector = new SshBruteForceDetector();
        var p = new AnalysisPipeline(options ?? new AnalysisOptions(), sink, [detector]);
        foreach (var r in records) p.OnEvent(r);
        return (sink, detector);
    }

    [Fact]
    public void PackedFlows_FortyAttempts_SameReportsAndUidsAsTextUids()
    {
        var packed = RunOne(PackedAttempts(40)).Sink.OfType(EvidenceTypes.PasswordGuessing);
        var text = RunOne(PackedAttempts(40).Cast<FlowRecord>().Select(f => Flow("10.0.0.9", "10.0.0.1", 22, f.Timestamp, established: true, srcBytes: 1000, dstBytes: 1000, uid: f.Uid))).Sink
            .OfType(EvidenceTypes.PasswordGuessing);

        Assert.Equal(6, packed.Count);
        Assert.Equal(text.Select(e => e.Description), packed.Select(e => e.Description));
        Assert.Equal(text.Select(e => string.Join(",", e.Uids)), packed.Select(e => string.Join(",", e.Uids)));
        Assert.Equal("CHhAvVGS1DHFjw001", packed[0].Uids[0]);
    }

    [Fact]
    public void PackedFlows_OneConnectionPerServer_WaitWithoutACampaignUntilASecond()
    {
        var records = new List<NetEvent>();
        for (int s = 1; s <= 50; s++) records.AddRange(PackedAttempts(1, dst: $"10.0.1.{s}", start: 1000 + s));
        var (sink, detector) = RunOne(records);
        Assert.Equal(50, detector.WaitingFirstAttempts);
        Assert.Empty(sink.Evidence);

        // Eight more to one of them: nine attempts, the first one's uid first.
        var (sink2, detector2) = RunOne([.. records, .. PackedAttempts(9, dst: "10.0.1.7", start: 2000).Skip(1)]);
        Assert.Equal(49, detector2.WaitingFirstAttempts);
        var e = Assert.Single(sink2.OfType(EvidenceTypes.PasswordGuessing));
        Assert.Contains("Attempts observed: 9.", e.Description, StringComparison.Ordinal);
        Assert.Equal(9, e.Uids.Count);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(9, 1)]
    [InlineData(12, 3)]
    public void CaptureShaped_SshRecordThenFlowPerConnection_SameAsTextUidsWithBanner(int connections, int reports)
    {
        // A capture gives each connection an ssh.log-like record (the client banner) and then its flow, both with the
        // uid packed; the same with text uids takes the campaign path from the first record on.
        List<NetEvent> Records(bool packed)
        {
            var records = new List<NetEvent>();
            for (int i = 1; i <= connections; i++)
            {
                string uid = $"CHhAvVGS1DHFjw{i:D3}";
                var ssh = new SshRecord { Source = Ip("10.0.0.9"), Destination = Ip("10.0.0.1"), DestinationPort = 22, Timestamp = 1000 + i, Client = "SSH-2.0-libssh_0.9.6" };
                var flow = Flow("10.0.0.9", "10.0.0.1", 22, 1000 + i, established: true, srcBytes: 1000, dstBytes: 1000);
                if (packed)
                {
                    Assert.True(PackedUid.TryPack(uid, out var p));
                    ssh.SetUid(p);
                    flow.SetUid(p);
                }
                else
                {
                    ssh.Uid = uid;
                    flow.Uid = uid;
                }

                records.Add(ssh);
                records.Add(flow);
            }

            return records;
        }

        var (packedSink, detector) = RunOne(Records(packed: true));
        var packed = packedSink.OfType(EvidenceTypes.PasswordGuessing);
        var text = RunOne(Records(packed: false)).Sink.OfType(EvidenceTypes.PasswordGuessing);

        Assert.Equal(reports, packed.Count); // at 9, 10 and 12 attempts
        Assert.Equal(text.Select(e => (e.Description, e.Confidence)), packed.Select(e => (e.Description, e.Confidence)));
        Assert.Equal(text.Select(e => string.Join(",", e.Uids)), packed.Select(e => string.Join(",", e.Uids)));
        Assert.All(packed, e => Assert.Contains("Client banner: SSH-2.0-libssh_0.9.6.", e.Description, StringComparison.Ordinal));
        Assert.Equal(connections == 1 ? 1 : 0, detector.WaitingFirstAttempts);
    }

    [Fact]
    public void PackedFlow_ThenSuccessfulSshLogOfIt_NotCounted()
    {
        // The first connection logged in (ssh.log): it does not count, so eight more attempts stay below nine.
        var first = (FlowRecord)PackedAttempts(1)[0];
        var success = new SshRecord { Source = Ip("10.0.0.9"), Destination = Ip("10.0.0.1"), DestinationPort = 22, Timestamp = 1001, Uid = first.Uid, AuthSuccess = true, AuthAttempts = 1 };
        var rest = PackedAttempts(9).Skip(1);
        Assert.Empty(RunOne([first, success, .. rest]).Sink.Evidence);
        Assert.Single(RunOne([first, .. rest]).Sink.OfType(EvidenceTypes.PasswordGuessing));
    }

    [Fact]
    public void PackedFlows_FirstInAnEarlierWindow_NotCarriedOver()
    {
        // One attempt in the first hour, eight in the next: neither window reaches nine.
        var records = new List<NetEvent>(PackedAttempts(1, start: 0));
        records.AddRange(PackedAttempts(9, start: 4000).Skip(1));
        Assert.Empty(RunOne(records).Sink.Evidence);
    }

    [Fact]
    public void PackedFlow_ThresholdOne_ReportedAtTheFirstAttempt()
    {
        var options = new AnalysisOptions();
        options.Detectors.SshAttemptThreshold = 1;
        var (sink, detector) = RunOne(PackedAttempts(1), options);
        Assert.Single(sink.OfType(EvidenceTypes.PasswordGuessing));
        Assert.Equal(0, detector.WaitingFirstAttempts);
    }

    [Fact]
    public void SshLog_Successful_NotCounted()
    {
        var records = Enumerable.Range(1, 12).Select(i => (NetEvent)new SshRecord
        {
            Source = Ip("10.0.0.9"), Destination = Ip("10.0.0.1"), DestinationPort = 22, Timestamp = 1000 + i, Uid = $"S{i}", AuthSuccess = true, AuthAttempts = 1,
        });
        Assert.Empty(Run(records).Evidence);
    }

    [Fact]
    public void ZeekNotice_PasswordGuessing_RaisedOnce()
    {
        var notice = new NoticeRecord { Source = Ip("10.0.0.9"), Destination = Ip("10.0.0.1"), Timestamp = 1000, Note = "SSH::Password_Guessing", Message = "10.0.0.9 appears to be guessing SSH passwords (seen in 30 connections)." };
        var sink = Run([notice, notice]);
        var e = Assert.Single(sink.OfType(EvidenceTypes.PasswordGuessing));
        Assert.Equal(1.0, e.Confidence);
    }

    [Theory]
    [InlineData(8, -1)]
    [InlineData(9, 0)]
    [InlineData(10, 1)]
    [InlineData(11, 1)]
    [InlineData(12, 2)]
    [InlineData(16, 3)]
    [InlineData(24, 4)]
    [InlineData(40, 5)]
    public void Bucket_Attempts_DoublingSteps(int attempts, int bucket) => Assert.Equal(bucket, SshBruteForceDetector.Bucket(attempts, 9));

    [Fact]
    public void Confidence_AtFullAttempts_One() => Assert.Equal(1.0, SshBruteForceDetector.Confidence(30, 9, 30, ""));

    [Fact]
    public void Confidence_AutomationBanner_Bonus() =>
        Assert.Equal(0.57, SshBruteForceDetector.Confidence(9, 9, 30, "SSH-2.0-libssh2_1.9"));
}

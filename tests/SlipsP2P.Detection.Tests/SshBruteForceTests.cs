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

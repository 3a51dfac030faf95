using SlipsP2P.Detection.Detectors;
using SlipsP2P.Testing;
using SlipsP2P.Detection.Detectors.Connections;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class HeuristicConnectionTests
{
    internal static RecordingSink Run(IDetector detector, AnalysisOptions? options, params NetEvent[] records)
    {
        var sink = new RecordingSink();
        var p = new AnalysisPipeline(options ?? new AnalysisOptions(), sink, [detector]);
        foreach (var r in records) p.OnEvent(r);
        p.Finish();
        return sink;
    }

    private static FlowRecord Rej(string src, string dst, ushort port, double ts)
    {
        var f = Flow(src, dst, port, ts, uid: "C" + ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        f.State = ConnState.REJ;
        return f;
    }

    [Fact]
    public void Reconnection_BelowThreshold_NoEvidence() =>
        Assert.Empty(Run(new ReconnectionAttemptsDetector(), null, [.. Enumerable.Range(0, 4).Select(i => Rej("10.0.2.15", "123.22.123.22", 547, 100 + i))]).Evidence);

    [Fact]
    public void Reconnection_AtThreshold_MediumHalfConfidence()
    {
        var sink = Run(new ReconnectionAttemptsDetector(), null, [.. Enumerable.Range(0, 5).Select(i => Rej("10.0.2.15", "123.22.123.22", 547, 100 + i))]);
        var e = Assert.Single(sink.OfType(EvidenceTypes.MultipleReconnectionAttempts));
        Assert.Equal(ThreatLevel.Medium, e.ThreatLevel);
        Assert.Equal(0.5, e.Confidence);
        Assert.Equal(5, e.Uids.Count);
    }

    [Fact]
    public void Reconnection_AboveThreshold_CounterRestartsAfterEvidence() =>
        Assert.Equal(2, Run(new ReconnectionAttemptsDetector(), null, [.. Enumerable.Range(0, 11).Select(i => Rej("10.0.2.15", "123.22.123.22", 547, 100 + i))]).Evidence.Count);

    [Fact]
    public void Reconnection_DifferentPorts_CountedApart() =>
        Assert.Empty(Run(new ReconnectionAttemptsDetector(), null, [.. Enumerable.Range(0, 8).Select(i => Rej("10.0.2.15", "123.22.123.22", (ushort)(1000 + (i % 2)), 100 + i))]).Evidence);

    [Fact]
    public void Reconnection_Established_NotCounted() =>
        Assert.Empty(Run(new ReconnectionAttemptsDetector(), null, [.. Enumerable.Range(0, 8).Select(i => Flow("10.0.2.15", "1.2.3.4", 443, 100 + i, established: true))]).Evidence);

    private static KnownPorts Ports()
    {
        var p = new KnownPorts();
        p.Add(Protocol.Tcp, 443);
        p.Add(Protocol.Udp, 53);
        return p;
    }

    [Fact]
    public void UnknownPort_EstablishedToUnlisted_High()
    {
        var sink = Run(new UnknownPortDetector(Ports()), null, Flow("10.0.0.1", "8.8.4.4", 4444, 1, established: true));
        var e = Assert.Single(sink.OfType(EvidenceTypes.UnknownPort));
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
        Assert.Equal(1.0, e.Confidence);
        Assert.Equal(4444, e.Port);
    }

    [Fact]
    public void UnknownPort_ListedOrNotEstablishedOrReply_NoEvidence() =>
        Assert.Empty(Run(new UnknownPortDetector(Ports()), null,
            Flow("10.0.0.1", "8.8.4.4", 443, 1, established: true),
            Flow("10.0.0.1", "8.8.4.4", 4444, 2, established: false),
            Flow("8.8.4.4", "10.0.0.1", 50000, 3, established: true, sport: 443)).Evidence);

    [Fact]
    public void UnknownPort_RepeatedInWindow_OneEvidence() =>
        Assert.Single(Run(new UnknownPortDetector(Ports()), null,
            Flow("10.0.0.1", "8.8.4.4", 4444, 1, established: true), Flow("10.0.0.1", "8.8.4.4", 4444, 2, established: true)).Evidence);

    [Fact]
    public void UnknownPort_HighUdpPortsToFiveDestinations_FifthOnwardIsP2p()
    {
        // Four destinations on udp/40000+ are unknown ports; the fifth distinct one makes it P2P (Slips' is_p2p), and
        // from then on no high UDP port alerts, whoever the destination; a high TCP port still does.
        var flows = new List<FlowRecord>();
        for (int i = 1; i <= 6; i++) flows.Add(Flow("10.0.0.1", $"8.8.8.{i}", (ushort)(40000 + i), i, Protocol.Udp, established: true));
        flows.Add(Flow("10.0.0.2", "9.9.9.9", 45000, 7, Protocol.Udp, established: true));
        flows.Add(Flow("10.0.0.2", "9.9.9.9", 45000, 8, Protocol.Tcp, established: true));
        var evidence = Run(new UnknownPortDetector(Ports()), null, [.. flows]).OfType(EvidenceTypes.UnknownPort);
        Assert.Equal(["8.8.8.1", "8.8.8.2", "8.8.8.3", "8.8.8.4", "9.9.9.9"], evidence.Select(e => e.Victim.ToString()));
        Assert.Equal([Protocol.Udp, Protocol.Udp, Protocol.Udp, Protocol.Udp, Protocol.Tcp], evidence.Select(e => e.Protocol));
    }

    [Fact]
    public void UnknownPort_SixFlowsToOneHighUdpDestination_SeventhIsP2p()
    {
        // One destination, new port each flow (so each would be its own evidence): the first six alert, then the
        // destination has had six flows on high UDP ports and the seventh is taken for P2P. Port 30000 itself is not high.
        var flows = new List<FlowRecord>();
        for (int i = 1; i <= 8; i++) flows.Add(Flow("10.0.0.1", "8.8.4.4", (ushort)(40000 + i), i, Protocol.Udp, established: true));
        flows.Add(Flow("10.0.0.1", "8.8.4.4", 30000, 9, Protocol.Udp, established: true));
        var evidence = Run(new UnknownPortDetector(Ports()), null, [.. flows]).OfType(EvidenceTypes.UnknownPort);
        Assert.Equal([40001, 40002, 40003, 40004, 40005, 40006, 30000], evidence.Select(e => e.Port));
    }

    [Fact]
    public void KnownPorts_LoadShippedList_HasWebAndDns()
    {
        string path = Path.Combine(Requires.RepoRoot, "config", "ports.csv");
        var ports = KnownPorts.Load(path);
        Assert.True(ports.IsKnown(Protocol.Tcp, 80));
        Assert.True(ports.IsKnown(Protocol.Udp, 53));
        Assert.False(ports.IsKnown(Protocol.Tcp, 4444));
        Assert.Empty(ports.Warnings);
    }

    [Fact]
    public void KnownPorts_BadLine_WarnsWithFileAndLine()
    {
        string path = Path.Combine(Path.GetTempPath(), "ports-" + Guid.NewGuid().ToString("N") + ".csv");
        File.WriteAllText(path, "# c\n80,tcp,http\nnotaport,tcp,x\n6000-6002,tcp,x11\n");
        try
        {
            var ports = KnownPorts.Load(path);
            Assert.True(ports.IsKnown(Protocol.Tcp, 6001));
            Assert.Contains(ports.Warnings, w => w.Contains(path + ":3", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private const long MB = 1024 * 1024;

    [Fact]
    public void DataUpload_WindowTotalBelow_NoEvidence() =>
        Assert.Empty(Run(new DataUploadDetector(), null,
            Flow("10.0.0.1", "8.8.8.8", 443, 1, srcBytes: 99 * MB), Flow("10.0.0.1", "8.8.8.8", 443, 2, srcBytes: 99 * MB),
            Flow("10.0.0.1", "8.8.8.8", 443, 3, srcBytes: 99 * MB), Flow("10.0.0.1", "8.8.8.8", 443, 4, srcBytes: 99 * MB),
            Flow("10.0.0.1", "8.8.8.8", 443, 5, srcBytes: 99 * MB)).Evidence);

    [Fact]
    public void DataUpload_WindowTotalAtThreshold_InfoOnSourceHighOnDestination()
    {
        var sink = Run(new DataUploadDetector(), null,
            Flow("10.0.0.1", "8.8.8.8", 443, 1, srcBytes: 99 * MB), Flow("10.0.0.1", "8.8.8.8", 443, 2, srcBytes: 99 * MB),
            Flow("10.0.0.1", "8.8.8.8", 443, 3, srcBytes: 99 * MB), Flow("10.0.0.1", "8.8.8.8", 443, 4, srcBytes: 99 * MB),
            Flow("10.0.0.1", "8.8.8.8", 443, 5, srcBytes: 99 * MB), Flow("10.0.0.1", "8.8.8.8", 443, 6, srcBytes: 5 * MB));
        var ev = sink.OfType(EvidenceTypes.DataUpload);
        Assert.Equal(2, ev.Count);
        Assert.Contains(ev, e => e.Attacker == Ip("10.0.0.1") && e.ThreatLevel == ThreatLevel.Info && e.Direction == AttackerDirection.Source);
        Assert.Contains(ev, e => e.Attacker == Ip("8.8.8.8") && e.ThreatLevel == ThreatLevel.High && e.Direction == AttackerDirection.Destination);
    }

    [Fact]
    public void DataUpload_OneBigFlow_Evidence() =>
        Assert.Equal(2, Run(new DataUploadDetector(), null, Flow("10.0.0.1", "8.8.8.8", 443, 1, srcBytes: 100 * MB)).Evidence.Count);

    [Fact]
    public void DataUpload_ToPrivate_NoEvidence() =>
        Assert.Empty(Run(new DataUploadDetector(), null, Flow("10.0.0.1", "10.0.0.2", 445, 1, srcBytes: 900 * MB)).Evidence);

    [Fact]
    public void Port0_TcpToPort0_High()
    {
        var e = Assert.Single(Run(new Port0Detector(), null, Flow("10.0.0.1", "8.8.8.8", 0, 1)).Evidence);
        Assert.Equal(EvidenceTypes.Port0Connection, e.Type);
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
    }

    [Fact]
    public void Port0_IcmpOrNormalPorts_NoEvidence() =>
        Assert.Empty(Run(new Port0Detector(), null, Icmp("10.0.0.1", "8.8.8.8", 8, 1), Flow("10.0.0.1", "8.8.8.8", 80, 2)).Evidence);

    [Fact]
    public void PrivateIpFromOutside_PublicToPrivateEstablished_Info()
    {
        var e = Assert.Single(Run(new PrivateIpFromOutsideDetector(), null, Flow("45.1.2.3", "192.168.1.5", 22, 1, established: true)).Evidence);
        Assert.Equal(EvidenceTypes.ConnectionToPrivateIp, e.Type);
        Assert.Equal(Ip("45.1.2.3"), e.Attacker);
    }

    [Fact]
    public void PrivateIpFromOutside_InsideOrNotEstablished_NoEvidence() =>
        Assert.Empty(Run(new PrivateIpFromOutsideDetector(), null,
            Flow("192.168.1.4", "192.168.1.5", 22, 1, established: true), Flow("45.1.2.3", "192.168.1.5", 22, 2)).Evidence);

    [Fact]
    public void ConnectionWithoutDns_Unresolved_InfoEvidence()
    {
        var sink = Run(new ConnectionWithoutDnsDetector(), null,
            Dns("10.0.0.1", "example.org", 1, answers: "93.184.216.34"),
            Flow("10.0.0.1", "93.184.216.34", 443, 2, established: true),
            Flow("10.0.0.1", "1.1.1.9", 443, 3, established: true));
        var e = Assert.Single(sink.Evidence);
        Assert.Equal(EvidenceTypes.ConnectionWithoutDns, e.Type);
        Assert.Equal(Ip("1.1.1.9"), e.Victim);
    }

    [Fact]
    public void ConnectionWithoutDns_NoDnsInInput_Silent() =>
        Assert.Empty(Run(new ConnectionWithoutDnsDetector(), null, Flow("10.0.0.1", "1.1.1.9", 443, 3, established: true)).Evidence);

    [Fact]
    public void ConnectionWithoutDns_DnsFlowsButNoDnsRecords_Silent()
    {
        // A conn.log without its dns.log: lookups show as port-53 flows, their answers are nowhere in the input.
        Assert.Empty(Run(new ConnectionWithoutDnsDetector(), null,
            Flow("10.0.0.1", "10.0.0.53", 53, 1, proto: Protocol.Udp, established: true),
            Flow("10.0.0.1", "1.1.1.9", 443, 2, established: true)).Evidence);
    }

    [Fact]
    public void ServiceMismatch_Port80WithoutHttp_Medium()
    {
        var sink = Run(new ServiceMismatchDetector(), null, Flow("10.0.2.15", "194.132.197.198", 80, 1, established: true, srcBytes: 5, dstBytes: 3, uid: "Cx"));
        var e = Assert.Single(sink.OfType(EvidenceTypes.NonHttpPort80Connection));
        Assert.Equal(ThreatLevel.Medium, e.ThreatLevel);
    }

    [Fact]
    public void ServiceMismatch_HttpRecordLater_NoEvidence() =>
        Assert.Empty(Run(new ServiceMismatchDetector(), null,
            Flow("10.0.2.15", "194.132.197.198", 80, 1, established: true, srcBytes: 5, uid: "Cx"),
            new HttpRecord { Uid = "Cx", Source = Ip("10.0.2.15"), Destination = Ip("194.132.197.198"), Timestamp = 200, Host = "a.com" }).Evidence);

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void ServiceMismatch_UidPackedOnOneSideTextOnTheOther_StillMatched(bool flowPacked, bool recordPacked)
    {
        // A conn.log flow holds its uid packed, an http.log record as text (or the reverse): the same uid either way.
        Assert.True(PackedUid.TryPack("CHhAvVGS1DHFjwGM9", out var packed));
        var flow = Flow("10.0.2.15", "194.132.197.198", 80, 1, established: true, srcBytes: 5, uid: "CHhAvVGS1DHFjwGM9");
        if (flowPacked) flow.SetUid(packed);
        var http = new HttpRecord { Uid = "CHhAvVGS1DHFjwGM9", Source = Ip("10.0.2.15"), Destination = Ip("194.132.197.198"), Timestamp = 200, Host = "a.com" };
        if (recordPacked) http.SetUid(packed);

        Assert.Empty(Run(new ServiceMismatchDetector(), null, flow, http).Evidence);
    }

    [Fact]
    public void ServiceMismatch_RecordsUnderNumberedUids_NotRemembered()
    {
        // A numbered uid comes from the node's own flow table, whose flow then carries the record's service and never
        // waits (PcapDatasetTests checks that on captures): such records are not kept. A flow without the service under
        // the same numbered uid (which the flow table never makes) is therefore reported; a Zeek uid still matches.
        string numbered = PackedUid.FromNumber(4242).ToString();
        HttpRecord Http(string uid) => new() { Uid = uid, Source = Ip("10.0.2.15"), Destination = Ip("194.132.197.198"), Timestamp = 2, Host = "a.com" };
        Assert.Single(Run(new ServiceMismatchDetector(), null,
            Http(numbered), Flow("10.0.2.15", "194.132.197.198", 80, 1, established: true, srcBytes: 5, uid: numbered)).Evidence);
        Assert.Empty(Run(new ServiceMismatchDetector(), null,
            Http("CHhAvVGS1DHFjwGM9"), Flow("10.0.2.15", "194.132.197.198", 80, 1, established: true, srcBytes: 5, uid: "CHhAvVGS1DHFjwGM9")).Evidence);
    }

    [Fact]
    public void ServiceMismatch_HttpRecordAfterWait_Evidence() =>
        Assert.Single(Run(new ServiceMismatchDetector(), null,
            Flow("10.0.2.15", "194.132.197.198", 80, 1, established: true, srcBytes: 5, uid: "Cx"),
            Flow("10.0.2.16", "9.9.9.9", 53, 400, Protocol.Udp),
            new HttpRecord { Uid = "Cx", Source = Ip("10.0.2.15"), Destination = Ip("194.132.197.198"), Timestamp = 401, Host = "a.com" }).Evidence);

    [Fact]
    public void ServiceMismatch_Port443WithoutTls_NonSsl()
    {
        var sink = Run(new ServiceMismatchDetector(), null,
            Flow("10.0.2.15", "1.2.3.4", 443, 1, established: true, srcBytes: 50, uid: "Ca"),
            Flow("10.0.2.15", "1.2.3.5", 443, 2, established: true, srcBytes: 50, uid: "Cb", service: "ssl"),
            Flow("10.0.2.15", "1.2.3.6", 443, 3, established: true, srcBytes: 50, uid: "Cc"),
            new TlsRecord { Uid = "Cc", Source = Ip("10.0.2.15"), Destination = Ip("1.2.3.6"), Timestamp = 3 });
        var e = Assert.Single(sink.Evidence);
        Assert.Equal(EvidenceTypes.NonSslPort443Connection, e.Type);
        Assert.Equal(Ip("1.2.3.4"), e.Victim);
    }

    [Fact]
    public void ServiceMismatch_NoPayload_NoEvidence() =>
        Assert.Empty(Run(new ServiceMismatchDetector(), null, Flow("10.0.2.15", "1.2.3.4", 80, 1, established: true, srcBytes: 0, uid: "Ca")).Evidence);
}

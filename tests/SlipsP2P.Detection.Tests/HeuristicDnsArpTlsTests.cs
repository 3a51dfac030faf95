using SlipsP2P.Detection.Detectors.Arp;
using SlipsP2P.Detection.Detectors.Dns;
using SlipsP2P.Detection.Detectors.Tls;
using static SlipsP2P.Detection.Tests.HeuristicConnectionTests;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class HeuristicDnsArpTlsTests
{
    private static DnsRecord[] Nx(int n) => [.. Enumerable.Range(0, n).Select(i => Dns("10.0.0.1", $"x{i}qwkj.com", 1 + i, rcode: 3))];

    [Fact]
    public void Nxdomain_BelowThreshold_NoEvidence() => Assert.Empty(Run(new NxdomainDetector(), null, Nx(9)).Evidence);

    [Fact]
    public void Nxdomain_AtThreshold_HighWithCountConfidence()
    {
        var e = Assert.Single(Run(new NxdomainDetector(), null, Nx(10)).Evidence);
        Assert.Equal(EvidenceTypes.NxdomainBurst, e.Type);
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
        Assert.Equal(0.1, e.Confidence, 6);
    }

    [Fact]
    public void Nxdomain_AboveThreshold_EveryFiveMore() => Assert.Equal(3, Run(new NxdomainDetector(), null, Nx(20)).Evidence.Count);

    [Fact]
    public void Nxdomain_ReverseLookups_Ignored() =>
        Assert.Empty(Run(new NxdomainDetector(), null, [.. Enumerable.Range(0, 20).Select(i => Dns("10.0.0.1", $"{i}.1.168.192.in-addr.arpa", i, 12, 3))]).Evidence);

    [Fact]
    public void TxtEntropy_RandomAnswer_Medium()
    {
        string high = "q8Zr3LpXw0vN7tYb2KcM9sJd4HgF6eAi1UoPl5RnWx+/Tz=BkQyVjCmDf";
        Assert.True(TxtEntropyDetector.ShannonEntropy(high) >= 5);
        var e = Assert.Single(Run(new TxtEntropyDetector(), null, Dns("10.0.0.1", "t.example.com", 1, 16, 0, high)).Evidence);
        Assert.Equal(EvidenceTypes.HighEntropyDnsAnswer, e.Type);
        Assert.Equal(ThreatLevel.Medium, e.ThreatLevel);
    }

    [Fact]
    public void TxtEntropy_SpfRecordOrARecord_NoEvidence() =>
        Assert.Empty(Run(new TxtEntropyDetector(), null,
            Dns("10.0.0.1", "example.com", 1, 16, 0, "v=spf1 include:_spf.google.com ~all"),
            Dns("10.0.0.1", "example.com", 2, 1, 0, "q8Zr3LpXw0vN7tYb2KcM9sJd4HgF6eAi1UoPl5RnWx+/Tz=BkQyVjCmDf")).Evidence);

    [Fact]
    public void TxtEntropy_ZeekTxtAnswerWithoutQueryType_Scored()
    {
        // test10's mDNS printer record: Zeek saw only the response, so there is no qtype, only "TXT n text" answers.
        string answer = "TXT 9 txtvers=1 TXT 5 note= TXT 28 ty=Samsung M267x 287x Series TXT 12 rp=ipp/print TXT 35 product=(Samsung M267x 287x Series) "
                        + "TXT 149 pdl=application/octet-stream\\x2capplication/PCL\\x2capplication/vnd.hp-PCLXL\\x2cimage/urf TXT 107 adminurl=http://SEC842519711A42.local";
        Assert.True(TxtEntropyDetector.ShannonEntropy(answer) >= 5);
        Assert.Single(Run(new TxtEntropyDetector(), null, Dns("147.32.83.181", "samsung._ipp._tcp.local", 1, 0, 0, answer)).Evidence);
        Assert.Empty(Run(new TxtEntropyDetector(), null, Dns("147.32.83.181", "x.local", 1, 0, 0, "192.168.1.1")).Evidence);
    }

    [Fact]
    public void TxtEntropy_ThresholdFromOptions_Respected()
    {
        var o = new AnalysisOptions();
        o.FlowAlerts.EntropyThreshold = 3;
        Assert.Single(Run(new TxtEntropyDetector(), o, Dns("10.0.0.1", "example.com", 1, 16, 0, "v=spf1 include:_spf.google.com ~all")).Evidence);
    }

    [Fact]
    public void DnsWithoutConnection_NoConnectionWithinWait_Info()
    {
        var sink = Run(new DnsWithoutConnectionDetector(), null,
            Dns("10.0.0.1", "unused.example.com", 1, 1, 0, "93.184.216.34"),
            Dns("10.0.0.1", "used.example.com", 2, 1, 0, "93.184.216.35"),
            Flow("10.0.0.1", "93.184.216.35", 443, 3, established: true),
            Flow("10.0.0.1", "93.184.216.35", 443, 2000, established: true));
        var e = Assert.Single(sink.Evidence);
        Assert.Equal(EvidenceTypes.DnsWithoutConnection, e.Type);
        Assert.Contains("unused.example.com", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void DnsWithoutConnection_ConnectionJustBeforeWaitEnds_NoEvidence() =>
        Assert.Empty(Run(new DnsWithoutConnectionDetector(), null,
            Dns("10.0.0.1", "late.example.com", 1, 1, 0, "93.184.216.34"),
            Flow("10.0.0.1", "93.184.216.34", 443, 1800, established: true)).Evidence);

    [Fact]
    public void DnsWithoutConnection_LocalAndArpa_Ignored() =>
        Assert.Empty(Run(new DnsWithoutConnectionDetector(), null,
            Dns("10.0.0.1", "printer.local", 1, 1, 0, "192.168.1.9"), Dns("10.0.0.1", "wpad.example.com", 1, 1, 0, "1.2.3.4")).Evidence);

    private static ArpRecord Arp(string src, string dst, double ts, int op = 1, string dstMac = "00:00:00:00:00:00") => new()
    {
        Source = Ip(src), Destination = Ip(dst), Timestamp = ts, Operation = op, SourceMac = "50:5b:c2:db:c3:17", DestinationMac = dstMac,
    };

    [Fact]
    public void ArpScan_FourTargets_NoEvidence() =>
        Assert.Empty(Run(new ArpDetector(), null, [.. Enumerable.Range(1, 4).Select(i => Arp("192.168.1.247", $"192.168.1.{i}", i))]).Evidence);

    [Fact]
    public void ArpScan_FiveTargetsIn30s_LowOnce()
    {
        var sink = Run(new ArpDetector(), null, [.. Enumerable.Range(1, 50).Select(i => Arp("192.168.1.247", $"192.168.1.{i}", i * 0.1))]);
        var e = Assert.Single(sink.OfType(EvidenceTypes.ArpScan));
        Assert.Equal(ThreatLevel.Low, e.ThreatLevel);
        Assert.Equal(0.8, e.Confidence);
    }

    [Fact]
    public void ArpScan_FiveTargetsSpreadOverMinutes_NoEvidence() =>
        Assert.Empty(Run(new ArpDetector(), null, [.. Enumerable.Range(1, 5).Select(i => Arp("192.168.1.247", $"192.168.1.{i}", i * 31))]).OfType(EvidenceTypes.ArpScan));

    [Fact]
    public void Arp_GratuitousReplyAndOutsideRequest_Evidence()
    {
        var sink = Run(new ArpDetector(), null,
            Arp("192.168.1.15", "69.220.152.0", 1),
            Arp("192.168.1.15", "69.220.152.0", 1, op: 2, dstMac: "ff:ff:ff:ff:ff:ff"));
        Assert.Single(sink.OfType(EvidenceTypes.ArpOutsideLocalnet));
        Assert.Single(sink.OfType(EvidenceTypes.UnsolicitedArp));
    }

    [Fact]
    public void Arp_NormalRequestReply_NoEvidence() =>
        Assert.Empty(Run(new ArpDetector(), null, Arp("192.168.1.15", "192.168.1.1", 1), Arp("192.168.1.1", "192.168.1.15", 1.1, op: 2, dstMac: "50:5b:c2:db:c3:17")).Evidence);

    private static TlsRecord Tls(string sni, string subject, string issuer, string status = "ok") => new()
    {
        Source = Ip("10.0.2.15"), Destination = Ip("52.0.131.132"), DestinationPort = 443, Timestamp = 1,
        ServerName = sni, Subject = subject, Issuer = issuer, ValidationStatus = status,
    };

    [Fact]
    public void Certificate_GoogleCertForNetflix_IncompatibleCn()
    {
        var e = Assert.Single(Run(new CertificateDetector(), null, Tls("netflix.com", "CN=www.google.com", "CN=Google Internet Authority G2,O=Google Inc,C=US")).Evidence);
        Assert.Equal(EvidenceTypes.IncompatibleCn, e.Type);
        Assert.Equal(ThreatLevel.Medium, e.ThreatLevel);
    }

    [Fact]
    public void Certificate_MatchingOrg_NoEvidence() =>
        Assert.Empty(Run(new CertificateDetector(), null,
            Tls("mail.google.com", "CN=*.google.com", "CN=GTS CA 1C3,O=Google Trust Services LLC,C=US"),
            Tls("example.org", "CN=example.org", "CN=R3,O=Let's Encrypt,C=US")).Evidence);

    [Fact]
    public void Certificate_SelfSigned_Low()
    {
        var e = Assert.Single(Run(new CertificateDetector(), null, Tls("x.test", "CN=x.test", "CN=x.test", "self signed certificate")).Evidence);
        Assert.Equal(EvidenceTypes.SelfSignedCertificate, e.Type);
        Assert.Equal(ThreatLevel.Low, e.ThreatLevel);
    }
}

public class HeuristicDhcpTests
{
    private static DhcpRecord Req(string requested, double ts) => new()
    {
        Source = IpAddr.Parse("192.168.1.30"), Destination = IpAddr.Parse("192.168.1.1"), Timestamp = ts,
        RequestedAddress = IpAddr.Parse(requested), Mac = "24:4b:fe:1c:48:a4",
    };

    [Fact]
    public void DhcpScan_ThreeAddresses_NoEvidence() =>
        Assert.Empty(HeuristicConnectionTests.Run(new Detectors.Dhcp.DhcpScanDetector(), null,
            Req("192.168.1.105", 1), Req("192.168.1.106", 2), Req("192.168.1.107", 3), Req("192.168.1.107", 4)).Evidence);

    [Fact]
    public void DhcpScan_FourThenEightAddresses_MediumEachStep()
    {
        var sink = HeuristicConnectionTests.Run(new Detectors.Dhcp.DhcpScanDetector(), null,
            [.. Enumerable.Range(100, 9).Select(i => Req($"192.168.1.{i}", i))]);
        Assert.Equal(2, sink.OfType(EvidenceTypes.DhcpScan).Count);
        Assert.All(sink.Evidence, e => Assert.Equal(ThreatLevel.Medium, e.ThreatLevel));
    }
}

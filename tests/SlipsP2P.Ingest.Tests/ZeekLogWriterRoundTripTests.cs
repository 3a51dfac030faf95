// Expected values are written inline as array literals; each test runs once, so CA1861 buys nothing here.
#pragma warning disable CA1861

using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Output.Zeek;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

public sealed class ZeekLogWriterRoundTripTests
{
    private static FlowRecord Flow(double ts, string uid, string src, string dst, Protocol p, ConnState s) => new()
    {
        Timestamp = ts,
        Uid = uid,
        Source = IpAddr.Parse(src),
        Destination = IpAddr.Parse(dst),
        SourcePort = 51000,
        DestinationPort = 443,
        Protocol = p,
        ProtocolNumber = (byte)p,
        Duration = 12.345678,
        SourceBytes = 1200,
        DestinationBytes = 56000,
        SourcePackets = 20,
        DestinationPackets = 45,
        SourceIpBytes = 2240,
        DestinationIpBytes = 58400,
        State = s,
        StateText = s.ToZeek(),
        History = "ShADadFf",
        Service = "ssl",
        CommunityId = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        Aid = "2:7RJA0SqvF3nbfatPoP1dkZnVvWw=",
    };

    [Fact]
    public void WriteThenRead_ConnAndDns_SameRecords()
    {
        using var tmp = new TempDir();
        var flows = new List<FlowRecord>
        {
            Flow(1600000000.123456, "CabC1", "192.168.1.10", "8.8.4.4", Protocol.Tcp, ConnState.SF),
            Flow(1600000001.5, "CabC2", "2001:db8::1", "2001:db8::2", Protocol.Icmp6, ConnState.OTH),
            Flow(1600000002, "CabC3", "10.0.0.1", "10.0.0.2", Protocol.Udp, ConnState.S0),
            Flow(1600000003, "CabC4", "10.0.0.1", "10.0.0.3", Protocol.Tcp, ConnState.RSTR),
        };
        flows[2].Service = "";
        flows[2].CommunityId = "";
        flows[3].History = "-";
        flows[3].Service = "we\tird\\name,(empty)";
        var dns = new List<DnsRecord>
        {
            new() { Timestamp = 1600000000.5, Uid = "CD1", Source = IpAddr.Parse("192.168.1.10"), Destination = IpAddr.Parse("192.168.1.1"), SourcePort = 5353, DestinationPort = 53,
                    TransactionId = 4242, Query = "example.com", QueryType = 1, QueryTypeName = "A", ResponseCode = 0, ResponseCodeName = "NOERROR",
                    Answers = ["93.184.216.34", "a,b.example"], Ttls = [300, 12.5] },
            new() { Timestamp = 1600000002.25, Uid = "CD2", Source = IpAddr.Parse("fe80::1"), Destination = IpAddr.Parse("ff02::fb"), SourcePort = 5353, DestinationPort = 5353,
                    Query = "nothing.local", QueryType = 28, QueryTypeName = "AAAA" },
        };
        using (var writer = new ZeekLogWriter(tmp.Path))
        {
            foreach (var f in flows) writer.Write(f);
            foreach (var d in dns) writer.Write(d);
        }

        using var source = new ZeekLogSource(tmp.Path);
        var read = CollectingSink.RunAll(source).Events;

        Assert.Equal(0, source.Stats.Skipped);
        var readFlows = read.OfType<FlowRecord>().ToList();
        Assert.Equal(flows.Count, readFlows.Count);
        for (int i = 0; i < flows.Count; i++)
        {
            var a = flows[i];
            var b = readFlows[i];
            Assert.Equal(a.Timestamp, b.Timestamp, 6);
            Assert.Equal((a.Uid, a.Source, a.Destination, a.SourcePort, a.DestinationPort, a.Protocol, a.ProtocolNumber), (b.Uid, b.Source, b.Destination, b.SourcePort, b.DestinationPort, b.Protocol, b.ProtocolNumber));
            Assert.Equal(a.Duration, b.Duration, 6);
            Assert.Equal((a.SourceBytes, a.DestinationBytes, a.SourcePackets, a.DestinationPackets, a.SourceIpBytes, a.DestinationIpBytes), (b.SourceBytes, b.DestinationBytes, b.SourcePackets, b.DestinationPackets, b.SourceIpBytes, b.DestinationIpBytes));
            Assert.Equal((a.State, a.StateText, a.History, a.Service, a.CommunityId, a.Aid), (b.State, b.StateText, b.History, b.Service, b.CommunityId, b.Aid));
            Assert.Equal(SlipsFlowState.IsEstablished(System.Text.Encoding.ASCII.GetBytes(a.StateText), a.TotalPackets), b.Established);
        }

        var readDns = read.OfType<DnsRecord>().ToList();
        Assert.Equal(dns.Count, readDns.Count);
        for (int i = 0; i < dns.Count; i++)
        {
            var a = dns[i];
            var b = readDns[i];
            Assert.Equal(a.Timestamp, b.Timestamp, 6);
            Assert.Equal((a.Uid, a.Source, a.Destination, a.SourcePort, a.DestinationPort, a.Protocol, a.TransactionId), (b.Uid, b.Source, b.Destination, b.SourcePort, b.DestinationPort, b.Protocol, b.TransactionId));
            Assert.Equal((a.Query, a.QueryType, a.QueryTypeName, a.ResponseCode, a.ResponseCodeName), (b.Query, b.QueryType, b.QueryTypeName, b.ResponseCode, b.ResponseCodeName));
            Assert.Equal(a.Answers, b.Answers);
            Assert.Equal(a.Ttls, b.Ttls);
        }

        // The merge interleaves the two logs by time.
        Assert.Equal(read.OrderBy(r => r.Timestamp).Select(r => r.Uid), read.Select(r => r.Uid));
    }

    [Fact]
    public void WriteThenRead_DatasetConnLog_SameFlows()
    {
        string path = Requires.Dataset("test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled");
        using var original = new ZeekLogSource(path);
        var flows = CollectingSink.RunAll(original).Events.Cast<FlowRecord>().ToList();
        using var tmp = new TempDir();
        using (var writer = new ZeekLogWriter(tmp.Path))
        {
            foreach (var f in flows) writer.Write(f);
        }

        using var again = new ZeekLogSource(Path.Combine(tmp.Path, "conn.log"));
        var read = CollectingSink.RunAll(again).Events.Cast<FlowRecord>().ToList();

        Assert.Equal(0, again.Stats.Skipped);
        Assert.Equal(flows.Count, read.Count);
        for (int i = 0; i < flows.Count; i++)
        {
            Assert.Equal((flows[i].Uid, flows[i].Source, flows[i].DestinationPort, flows[i].State, flows[i].History, flows[i].TotalBytes, flows[i].Established),
                         (read[i].Uid, read[i].Source, read[i].DestinationPort, read[i].State, read[i].History, read[i].TotalBytes, read[i].Established));
        }
    }
}

// Expected values are written inline as array literals; each test runs once, so CA1861 buys nothing here.
#pragma warning disable CA1861

using System.Text;
using System.Text.Json;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

public sealed class SuricataReaderTests
{
    [Fact]
    public void Run_Test6Eve_ReadsEveryFlowDnsHttpTlsEventAndCountsTheRest()
    {
        string path = Requires.Dataset("test6-malicious.suricata.json");
        var rawLines = File.ReadAllLines(path);
        var byType = rawLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event_type").GetString()!).ToList();
        using var source = new SuricataSource(path);

        var events = CollectingSink.RunAll(source).Events;

        Assert.Empty(source.Stats.Messages);
        Assert.Equal(rawLines.Length, source.Stats.Records);
        Assert.Equal(byType.Count(t => t == "flow"), events.OfType<FlowRecord>().Count());
        Assert.Equal(byType.Count(t => t == "dns"), events.OfType<DnsRecord>().Count());
        Assert.Equal(byType.Count(t => t == "http"), events.OfType<HttpRecord>().Count());
        Assert.Equal(byType.Count(t => t == "tls"), events.OfType<TlsRecord>().Count());
        Assert.Equal(byType.Count(t => t is not ("flow" or "dns" or "http" or "tls" or "ssh")), source.Ignored);

        // Every flow against its raw line.
        foreach (var f in events.OfType<FlowRecord>())
        {
            var raw = JsonDocument.Parse(rawLines[f.SourceLine - 1]).RootElement;
            var flow = raw.GetProperty("flow");
            Assert.Equal(IpAddr.Parse(raw.GetProperty("src_ip").GetString()!), f.Source);
            Assert.Equal(IpAddr.Parse(raw.GetProperty("dest_ip").GetString()!), f.Destination);
            Assert.Equal(raw.GetProperty("flow_id").GetRawText(), f.Uid);
            Assert.Equal((DateTimeOffset.Parse(flow.GetProperty("start").GetString()!, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UnixEpoch).TotalSeconds, f.Timestamp, 5);
            Assert.Equal(flow.GetProperty("pkts_toserver").GetInt64(), f.SourcePackets);
            Assert.Equal(flow.GetProperty("bytes_toclient").GetInt64(), f.DestinationBytes);
            string state = flow.GetProperty("state").GetString()!;
            Assert.Equal(state, f.StateText);
            Assert.Equal(state is "new" or "established", f.Established);
            Assert.True(f.Duration >= 0);
        }

        var tls = events.OfType<TlsRecord>().Single();
        Assert.Equal("www.myedimax.com", tls.ServerName);
        Assert.Equal("b7202231ff2db28363c109cedc6d1642", tls.Ja3);
        Assert.Equal("ad90cab724fafab2660fbf61673c91a9", tls.Ja3s);
        var cname = events.OfType<DnsRecord>().First(d => d.Answers.Count == 3);
        Assert.Equal(new[] { "ddns.myedimax.com", "ns.myedimax.com", "122.248.252.67" }, cname.Answers);
        Assert.Equal(0, cname.ResponseCode);
    }

    [Fact]
    public void Run_DnsV1V2V3AndSsh_Decoded()
    {
        string lines =
            "{\"timestamp\":\"2020-01-01T00:00:00.000000+0000\",\"flow_id\":1,\"event_type\":\"dns\",\"src_ip\":\"10.0.0.2\",\"src_port\":53,\"dest_ip\":\"10.0.0.1\",\"dest_port\":3000,\"proto\":\"UDP\",\"dns\":{\"type\":\"answer\",\"id\":7,\"rcode\":\"NOERROR\",\"rrname\":\"a.example\",\"rrtype\":\"A\",\"ttl\":30,\"rdata\":\"1.2.3.4\"}}\n" +
            "{\"timestamp\":\"2020-01-01T00:00:01.000000+0000\",\"flow_id\":2,\"event_type\":\"dns\",\"src_ip\":\"10.0.0.2\",\"src_port\":53,\"dest_ip\":\"10.0.0.1\",\"dest_port\":3001,\"proto\":\"UDP\",\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":8,\"rcode\":\"NXDOMAIN\",\"rrname\":\"nx.example\",\"rrtype\":\"AAAA\"}}\n" +
            "{\"timestamp\":\"2020-01-01T00:00:02.000000+0000\",\"flow_id\":3,\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\",\"src_port\":3002,\"dest_ip\":\"10.0.0.2\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"version\":3,\"dns_type\":\"response\",\"id\":9,\"rcode\":\"NOERROR\",\"queries\":[{\"rrname\":\"txt.example\",\"rrtype\":\"TXT\"}],\"answers\":[{\"rrname\":\"txt.example\",\"rrtype\":\"TXT\",\"ttl\":5,\"rdata\":\"hello\"}]}}\n" +
            "{\"timestamp\":\"2020-01-01T00:00:03.000000+0000\",\"flow_id\":4,\"event_type\":\"ssh\",\"src_ip\":\"10.0.0.1\",\"src_port\":40000,\"dest_ip\":\"10.0.0.2\",\"dest_port\":22,\"proto\":\"TCP\",\"ssh\":{\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_8.9\"},\"server\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_9.2\"}}}\n" +
            "{\"timestamp\":\"2020-01-01T00:00:04.000000+0000\",\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\"}\n" +
            "{\"timestamp\":\"2020-01-01T00:00:05.000000+0000\",\"flow_id\":5,\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\n" +
            "{\"timestamp\":\"2020-01-01T00:00:06.000000+0000\",\"flow_id\":6,\"event_type\":\"flow\",\"src_ip\":\"999.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"flow\":{}}\n";
        using var source = new SuricataSource(new MemoryStream(Encoding.UTF8.GetBytes(lines)), "eve-test");

        var events = CollectingSink.RunAll(source).Events;

        var v1 = Assert.IsType<DnsRecord>(events[0]);
        Assert.Equal(("a.example", (ushort)1, 0), (v1.Query, v1.QueryType, v1.ResponseCode));
        Assert.Equal(new[] { "1.2.3.4" }, v1.Answers);
        Assert.Equal(new[] { 30.0 }, v1.Ttls);
        Assert.Equal(1577836800, v1.Timestamp, 6);
        var v2 = Assert.IsType<DnsRecord>(events[1]);
        Assert.Equal(("nx.example", 3, "NXDOMAIN"), (v2.Query, v2.ResponseCode, v2.ResponseCodeName));
        Assert.Empty(v2.Answers);
        var v3 = Assert.IsType<DnsRecord>(events[2]);
        Assert.Equal(("txt.example", (ushort)16), (v3.Query, v3.QueryType));
        Assert.Equal(new[] { "hello" }, v3.Answers);
        var ssh = Assert.IsType<SshRecord>(events[3]);
        Assert.Equal(("OpenSSH_8.9", "OpenSSH_9.2"), (ssh.Client, ssh.Server));
        Assert.Equal(4, events.Count);
        Assert.Equal(1, source.Ignored);
        Assert.Equal(2, source.Stats.Skipped);
        Assert.StartsWith("eve-test: line 6: invalid JSON", source.Stats.Messages[0], StringComparison.Ordinal);
        Assert.StartsWith("eve-test: line 7: missing or bad src_ip", source.Stats.Messages[1], StringComparison.Ordinal);
    }
}

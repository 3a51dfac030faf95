using System.Buffers;
using SlipsP2P.Core;
using SlipsP2P.Ingest.App;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using static SlipsP2P.Ingest.Tests.PacketBuilder;

namespace SlipsP2P.Ingest.Tests;

public sealed class DnsMessageTests
{
    private static byte[] Name(string name)
    {
        var b = new List<byte>();
        foreach (string label in name.Split('.'))
        {
            b.Add((byte)label.Length);
            b.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        b.Add(0);
        return b.ToArray();
    }

    internal static byte[] Query(ushort id, string name, ushort type = 1) =>
        Concat([(byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0], Name(name), [0, (byte)type, 0, 1]);

    /// <summary>www.example.com A: CNAME cdn.example.com (compressed), A 93.184.216.34, TXT, MX, all names by pointer.</summary>
    internal static byte[] Response(ushort id, byte rcode = 0)
    {
        byte[] header = [(byte)(id >> 8), (byte)id, 0x81, (byte)(0x80 | rcode), 0, 1, 0, 4, 0, 0, 0, 0];
        byte[] question = Concat(Name("www.example.com"), [0, 1, 0, 1]);
        // "example.com" starts at offset 12 + 4 ("\x03www") = 16.
        byte[] cname = Concat([0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6], [3, (byte)'c', (byte)'d', (byte)'n', 0xC0, 16]);
        byte[] a = [0xC0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 93, 184, 216, 34];
        byte[] txt = Concat([0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 10, 0, 12], [5, .. "hello"u8, 5, .. "world"u8]);
        byte[] mx = Concat([0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 10, 0, 9], [0, 10, 4, (byte)'m', (byte)'a', (byte)'i', (byte)'l', 0xC0, 16]);
        return Concat(header, question, cname, a, txt, mx);
    }

    [Fact]
    public void TryRead_Query_ReadsQuestion()
    {
        Assert.Equal(OperationStatus.Done, DnsMessage.TryRead(Query(0x1234, "www.example.com", 28), out var m, out int consumed));
        Assert.NotNull(m);
        Assert.False(m.IsResponse);
        Assert.Equal(0x1234, m.Id);
        Assert.Equal("www.example.com", m.Query);
        Assert.Equal(28, m.QueryType);
        Assert.Equal("AAAA", DnsMessage.TypeName(m.QueryType));
        Assert.Equal(Query(0x1234, "www.example.com", 28).Length, consumed);
    }

    [Fact]
    public void TryRead_CompressedResponse_ReadsAllAnswerKinds()
    {
        Assert.Equal(OperationStatus.Done, DnsMessage.TryRead(Response(7), out var m, out _));
        Assert.NotNull(m);
        Assert.True(m.IsResponse);
        Assert.Equal(["cdn.example.com", "93.184.216.34", "hello world", "mail.example.com"], m.Answers);
        Assert.Equal([60.0, 300.0, 10.0, 10.0], m.Ttls);
        Assert.Equal(0, m.ResponseCode);
    }

    /// <summary>www.example.com A: A 93.184.216.34, a record type without a text (HINFO), AAAA 2001:db8::1, A ::ffff:10.1.2.3.</summary>
    private static byte[] AddressResponse(ushort id)
    {
        byte[] header = [(byte)(id >> 8), (byte)id, 0x81, 0x80, 0, 1, 0, 4, 0, 0, 0, 0];
        byte[] question = Concat(Name("www.example.com"), [0, 1, 0, 1]);
        byte[] a = [0xC0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 93, 184, 216, 34];
        byte[] hinfo = [0xC0, 12, 0, 13, 0, 1, 0, 0, 0, 5, 0, 2, 0, 0];
        byte[] aaaa = Concat([0xC0, 12, 0, 28, 0, 1, 0, 0, 0, 20, 0, 16], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        byte[] mapped = Concat([0xC0, 12, 0, 28, 0, 1, 0, 0, 0, 30, 0, 16], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 1, 2, 3]);
        return Concat(header, question, a, hinfo, aaaa, mapped);
    }

    [Fact]
    public void TryRead_AddressesOnly_AddressAnswersWithTheSameTexts()
    {
        Assert.Equal(OperationStatus.Done, DnsMessage.TryRead(AddressResponse(9), out var m, out _));
        Assert.NotNull(m);
        var answers = Assert.IsType<AddressAnswers>(m.Answers);
        Assert.Equal([IpAddr.Parse("93.184.216.34"), IpAddr.Parse("2001:db8::1"), IpAddr.Parse("10.1.2.3")], answers.Addresses.ToArray());
        Assert.Equal(["93.184.216.34", "2001:db8::1", "10.1.2.3"], m.Answers);
        Assert.Same(answers[1], answers[1]); // made once
        Assert.Equal([300.0, 20.0, 30.0], m.Ttls);
    }

    [Fact]
    public void TryRead_NamesAndAddresses_TextList()
    {
        Assert.Equal(OperationStatus.Done, DnsMessage.TryRead(Response(7), out var m, out _));
        Assert.NotNull(m);
        Assert.IsType<string[]>(m.Answers);
    }

    [Fact]
    public void TryRead_PointerToItself_InvalidData()
    {
        byte[] msg = Concat([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0], [0xC0, 12], [0, 1, 0, 1]);
        Assert.Equal(OperationStatus.InvalidData, DnsMessage.TryRead(msg, out _, out _));
    }

    [Fact]
    public void TryRead_PointerLoopBetweenTwoNames_InvalidData()
    {
        // Question name at 12 is a label then a pointer forward to 20; the name at 20 points back to 12.
        byte[] msg = Concat([0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0], [1, (byte)'a', 0xC0, 20], [0, 1, 0, 1], [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0]);
        Assert.Equal(OperationStatus.InvalidData, DnsMessage.TryRead(msg, out _, out _));
    }

    [Fact]
    public void TryRead_TruncatedAtEveryLength_NeedsMoreDataOrInvalidNeverThrows()
    {
        byte[] full = Response(9);
        for (int n = 0; n < full.Length; n++)
        {
            var s = DnsMessage.TryRead(full.AsSpan(0, n), out var m, out _);
            Assert.True(s is OperationStatus.NeedMoreData or OperationStatus.InvalidData, $"length {n}: {s}");
            Assert.Null(m);
        }
    }

    [Fact]
    public void TryRead_NameLongerThan255_InvalidData()
    {
        string longName = string.Join('.', Enumerable.Repeat(new string('a', 63), 5));
        Assert.Equal(OperationStatus.InvalidData, DnsMessage.TryRead(Query(1, longName), out _, out _));
    }

    [Fact]
    public void FlowTable_QueryThenResponse_OneDnsRecordWithAnswersAndFlowUid()
    {
        var sink = new PcapCollectingSink();
        var table = new FlowTable(new AnalysisOptions(), sink);
        void Feed(double ts, byte[] ip)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, ip, ref p);
            table.Process(ref p, ts, 1);
        }

        Feed(10, Ipv4("192.168.1.2", "8.8.8.8", 17, Udp(33333, 53, Query(77, "www.example.com"))));
        Feed(10.05, Ipv4("8.8.8.8", "192.168.1.2", 17, Udp(53, 33333, Response(77))));
        Feed(11, Ipv4("192.168.1.2", "8.8.8.8", 17, Udp(33333, 53, Query(78, "nothing.example"))));
        Feed(11.05, Ipv4("8.8.8.8", "192.168.1.2", 17, Udp(53, 33333, Response(78, rcode: 3))));
        table.Flush();

        var dns = sink.Events.OfType<DnsRecord>().ToList();
        FlowRecord flow = Assert.Single(sink.Flows);
        Assert.Equal(2, dns.Count);
        Assert.Equal("www.example.com", dns[0].Query);
        Assert.Equal(10, dns[0].Timestamp);
        Assert.Equal("NOERROR", dns[0].ResponseCodeName);
        Assert.Contains("93.184.216.34", dns[0].Answers);
        Assert.Equal("NXDOMAIN", dns[1].ResponseCodeName);
        Assert.All(dns, d => Assert.Equal(flow.Uid, d.Uid));
        Assert.All(dns, d => Assert.Equal(IpAddr.Parse("192.168.1.2"), d.Source));
        Assert.Equal("dns", flow.Service);
        Assert.True(sink.Events.IndexOf(dns[1]) < sink.Events.IndexOf(flow));
    }

    [Fact]
    public void FlowTable_TtlsNotKept_SameAnswersWithoutTtls()
    {
        DnsRecord Answer(bool keep)
        {
            var sink = new PcapCollectingSink();
            var table = new FlowTable(new AnalysisOptions(), sink) { KeepDnsTtls = keep };
            foreach (var (ts, ip) in new[]
                     {
                         (10.0, Ipv4("192.168.1.2", "8.8.8.8", 17, Udp(33333, 53, Query(77, "www.example.com")))),
                         (10.05, Ipv4("8.8.8.8", "192.168.1.2", 17, Udp(53, 33333, Response(77)))),
                     })
            {
                var p = default(DecodedPacket);
                PacketDecoder.Decode(LinkType.Raw, ip, ref p);
                table.Process(ref p, ts, 1);
            }

            table.Flush();
            return Assert.Single(sink.Events.OfType<DnsRecord>());
        }

        DnsRecord kept = Answer(true), dropped = Answer(false);
        Assert.NotEmpty(kept.Ttls);
        Assert.Empty(dropped.Ttls);
        Assert.Equal(kept.Answers, dropped.Answers);
        Assert.Equal((kept.Query, kept.ResponseCodeName, kept.Uid), (dropped.Query, dropped.ResponseCodeName, dropped.Uid));
    }

    [Fact]
    public void FlowTable_UnansweredQuery_EmittedWhenFlowEnds()
    {
        var sink = new PcapCollectingSink();
        var table = new FlowTable(new AnalysisOptions(), sink);
        var p = default(DecodedPacket);
        PacketDecoder.Decode(LinkType.Raw, Ipv4("192.168.1.2", "8.8.8.8", 17, Udp(33333, 53, Query(5, "lost.example"))), ref p);
        table.Process(ref p, 1, 1);
        table.Flush();
        DnsRecord d = Assert.Single(sink.Events.OfType<DnsRecord>());
        Assert.Equal(-1, d.ResponseCode);
        Assert.Equal("lost.example", d.Query);
    }
}

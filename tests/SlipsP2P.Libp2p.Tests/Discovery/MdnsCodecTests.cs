using System.Buffers;
using System.Text;
using SlipsP2P.Libp2p.Discovery.Mdns;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Tests.Discovery;

public sealed class MdnsCodecTests
{
    private const string Alice = "12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm";

    // RFC 1035 §4.1: id 0, flags 0, qdcount 1; QNAME 4"_p2p" 4"_udp" 5"local" 0; QTYPE PTR (12); QCLASS IN (1).
    private const string QueryHex = "000000000001000000000000" + "045f703270045f756470056c6f63616c00" + "000c0001";

    [Fact]
    public void CreateQuery_Encoded_MatchesRfc1035Layout()
    {
        Assert.Equal(QueryHex, Convert.ToHexStringLower(MdnsMessages.CreateQuery().ToArray()));
    }

    [Fact]
    public void TryRead_QueryVector_IsServiceQuery()
    {
        Assert.Equal(OperationStatus.Done, DnsMessage.TryRead(Convert.FromHexString(QueryHex), out var m, out int n));

        Assert.Equal(Convert.FromHexString(QueryHex).Length, n);
        Assert.True(MdnsMessages.IsServiceQuery(m));
    }

    [Fact]
    public void CreateResponse_EncodedBytes_MatchHandAssembledRecords()
    {
        string name = "abcdefghijklmnopqrstuvwxyz012345";
        var addr = Multiaddr.Parse("/ip4/10.0.0.1/tcp/4001/p2p/" + Alice);

        byte[] bytes = MdnsMessages.CreateResponse(name, [addr]).ToArray();

        string service = "045f703270045f756470056c6f63616c00";
        string instance = "20" + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(name)) + service;
        byte[] txt = Encoding.ASCII.GetBytes("dnsaddr=/ip4/10.0.0.1/tcp/4001/p2p/" + Alice);
        string expected =
            "000084000000000100000001" +
            service + "000c0001" + "00000078" + (instance.Length / 2).ToString("x4") + instance +
            instance + "00100001" + "00000078" + (txt.Length + 1).ToString("x4") + txt.Length.ToString("x2") + Convert.ToHexStringLower(txt);
        Assert.Equal(expected, Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void ExtractPeerAddresses_ResponseRoundTrip_AddressesBack()
    {
        var a1 = Multiaddr.Parse("/ip4/10.0.0.1/tcp/4001/p2p/" + Alice);
        var a2 = Multiaddr.Parse("/ip6/fe80::1/tcp/4001/p2p/" + Alice);
        byte[] bytes = MdnsMessages.CreateResponse(MdnsMessages.RandomPeerName(), [a1, a2]).ToArray();

        Assert.Equal(OperationStatus.Done, DnsMessage.TryRead(bytes, out var m, out _));
        var peers = MdnsMessages.ExtractPeerAddresses(m);

        Assert.Equal([a1, a2], peers.Select(p => p.Address));
        Assert.All(peers, p => Assert.Equal(Alice, p.Peer.ToString()));
        Assert.False(MdnsMessages.IsServiceQuery(m));
    }

    [Fact]
    public void TryRead_CompressedNames_Resolved()
    {
        // answer PTR whose target is "x" + pointer to the owner name at offset 12, and a TXT owned by a pointer to it
        var b = new List<byte>();
        b.AddRange(Convert.FromHexString("000084000000000200000000"));
        b.AddRange(Convert.FromHexString("045f703270045f756470056c6f63616c00")); // offset 12
        b.AddRange(Convert.FromHexString("000c000100000078"));
        b.AddRange(Convert.FromHexString("0004" + "0178c00c"));                // rdata at offset 39: 1"x" ptr->12
        b.AddRange(Convert.FromHexString("c027" + "0010800100000078"));       // owner: ptr->39, class with cache-flush bit
        byte[] txt = Encoding.ASCII.GetBytes("dnsaddr=/ip4/10.0.0.9/tcp/1/p2p/" + Alice);
        b.AddRange([0, (byte)(txt.Length + 1), (byte)txt.Length]);
        b.AddRange(txt);

        Assert.Equal(OperationStatus.Done, DnsMessage.TryRead(b.ToArray(), out var m, out _));

        Assert.Equal("x._p2p._udp.local", m.Answers[0].PtrTarget);
        Assert.Equal("x._p2p._udp.local", m.Answers[1].Name);
        Assert.Equal(1, m.Answers[1].Class);
        Assert.Equal("/ip4/10.0.0.9/tcp/1/p2p/" + Alice, Assert.Single(MdnsMessages.ExtractPeerAddresses(m)).Address.ToString());
    }

    [Fact]
    public void TryRead_CompressionLoop_InvalidData()
    {
        byte[] loop = Convert.FromHexString("000000000001000000000000" + "c00c" + "000c0001");

        Assert.Equal(OperationStatus.InvalidData, DnsMessage.TryRead(loop, out _, out _));
    }

    [Fact]
    public void TryRead_ImpossibleCounts_InvalidDataWithoutLooping()
    {
        byte[] lie = Convert.FromHexString("0000840000000fff0fff0fff");

        Assert.Equal(OperationStatus.InvalidData, DnsMessage.TryRead(lie, out _, out _));
    }

    [Fact]
    public void TryRead_EveryTruncationOfResponse_NeverThrows()
    {
        byte[] bytes = MdnsMessages.CreateResponse("peer0123456789abcdefghijklmnopqrstu", [Multiaddr.Parse("/ip4/10.0.0.1/tcp/4001/p2p/" + Alice)]).ToArray();
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.Equal(OperationStatus.InvalidData, DnsMessage.TryRead(bytes.AsSpan(0, i), out _, out _));
        }
    }

    [Fact]
    public void RandomPeerName_Shape_LowerAlphanumeric32()
    {
        string name = MdnsMessages.RandomPeerName();

        Assert.Equal(32, name.Length);
        Assert.All(name, c => Assert.True(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)));
        Assert.NotEqual(name, MdnsMessages.RandomPeerName());
    }
}

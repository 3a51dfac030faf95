using System.Buffers.Binary;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Packets;
using static SlipsP2P.Ingest.Tests.PacketBuilder;

namespace SlipsP2P.Ingest.Tests;

public sealed class PacketDecoderTests
{
    private static readonly byte[] s_hello = "hello"u8.ToArray();

    private static byte[] TcpV4() => Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 80, 1000, 0, 0x02, s_hello));

    private static DecodeStatus Decode(int linkType, byte[] frame, out DecodedPacket p)
    {
        p = default;
        return PacketDecoder.Decode(linkType, frame, ref p);
    }

    [Fact]
    public void Decode_EthernetIpv4Tcp_ReadsAllHeaders()
    {
        var status = Decode(LinkType.Ethernet, EthernetIpv4(TcpV4()), out var p);
        Assert.Equal(DecodeStatus.Ip, status);
        Assert.Equal(IpAddr.Parse("10.0.0.1"), p.Source);
        Assert.Equal(IpAddr.Parse("10.0.0.2"), p.Destination);
        Assert.Equal(6, p.Protocol);
        Assert.Equal(40000, p.SourcePort);
        Assert.Equal(80, p.DestinationPort);
        Assert.Equal(1000u, p.Sequence);
        Assert.Equal(TcpControlBits.Syn, p.Flags);
        Assert.Equal(45, p.IpLength);
        Assert.Equal(5, p.PayloadLength);
        Assert.True(p.Payload.SequenceEqual(s_hello));
        Assert.Equal(MacA, p.SourceMac);
        Assert.Equal("00:11:22:33:44:55", DecodedPacket.FormatMac(p.SourceMac));
    }

    [Fact]
    public void Decode_EthernetPadding_IgnoredByIpTotalLength()
    {
        byte[] ip = Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, [7]));
        byte[] frame = Concat(EthernetIpv4(ip), new byte[20]);
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ethernet, frame, out var p));
        Assert.Equal(1, p.Payload.Length);
        Assert.Equal(1, p.PayloadLength);
    }

    [Fact]
    public void Decode_StackedVlanTags_ReadsInnerIpAndOuterVlan()
    {
        byte[] frame = Ethernet(MacA, MacB, 0x0800, TcpV4(), 0x88A8, 0x8100);
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ethernet, frame, out var p));
        Assert.Equal(100, p.VlanId);
        Assert.Equal(80, p.DestinationPort);
    }

    [Fact]
    public void Decode_Ipv4Options_SkipsToTransport()
    {
        byte[] ip = Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(5353, 53, [1, 2, 3]), optionBytes: 8);
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Raw, ip, out var p));
        Assert.Equal(5353, p.SourcePort);
        Assert.Equal(3, p.PayloadLength);
    }

    [Fact]
    public void Decode_Ipv4Fragments_FirstHasPortsLaterDoNot()
    {
        byte[] first = Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1000, 2000, new byte[16]), fragment: 0x2000);
        byte[] later = Ipv4("10.0.0.1", "10.0.0.2", 17, new byte[16], fragment: 0x0003);
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ipv4, first, out var p1));
        Assert.True(p1.IsFirstFragment);
        Assert.Equal(2000, p1.DestinationPort);
        Assert.Equal(DecodeStatus.Fragment, Decode(LinkType.Ipv4, later, out _));
    }

    [Fact]
    public void Decode_Ipv6ExtensionHeaders_ReachesTcp()
    {
        byte[] tcp = Tcp(1234, 443, 1, 0, 0x02);
        byte[] ip = Ipv6("2001:db8::1", "2001:db8::2", 6, tcp, (0, 8), (43, 24), (44, 8), (60, 16));
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ipv6, ip, out var p));
        Assert.Equal(6, p.Protocol);
        Assert.Equal(443, p.DestinationPort);
        Assert.Equal(IpAddr.Parse("2001:db8::2"), p.Destination);
        Assert.Equal(40 + 56 + 20, p.IpLength);
    }

    [Fact]
    public void Decode_Ipv6NonFirstFragment_IsFragment()
    {
        byte[] ip = Ipv6("2001:db8::1", "2001:db8::2", 17, new byte[16], (44, 8));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(40 + 2), 0x0010); // offset 2 (x8 bytes)
        Assert.Equal(DecodeStatus.Fragment, Decode(LinkType.Raw, ip, out _));
    }

    [Fact]
    public void Decode_IcmpEcho_UsesZeekPortEquivalents()
    {
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ipv4, Ipv4("10.0.0.1", "10.0.0.2", 1, Icmp(8, 0)), out var req));
        Assert.Equal((8, 0), (req.SourcePort, req.DestinationPort));
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ipv4, Ipv4("10.0.0.2", "10.0.0.1", 1, Icmp(0, 0)), out var rep));
        Assert.Equal((0, 8), (rep.SourcePort, rep.DestinationPort));
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ipv4, Ipv4("10.0.0.9", "10.0.0.1", 1, Icmp(3, 3)), out var unreach));
        Assert.Equal((3, 3), (unreach.SourcePort, unreach.DestinationPort));
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ipv6, Ipv6("fe80::1", "fe80::2", 58, Icmp(128, 0)), out var v6));
        Assert.Equal((128, 129), (v6.SourcePort, v6.DestinationPort));
    }

    [Fact]
    public void Decode_Arp_ReadsAddresses()
    {
        byte[] frame = Ethernet(MacA, 0xFFFF_FFFF_FFFF, 0x0806, Arp(1, MacA, "192.168.1.5", 0, "192.168.1.1"));
        Assert.Equal(DecodeStatus.Arp, Decode(LinkType.Ethernet, frame, out var p));
        Assert.Equal(1, p.ArpOperation);
        Assert.Equal(IpAddr.Parse("192.168.1.5"), p.Source);
        Assert.Equal(IpAddr.Parse("192.168.1.1"), p.Destination);
        Assert.Equal(MacA, p.ArpSenderMac);
    }

    public static TheoryData<int, byte[]> LinkFrames()
    {
        byte[] ip = TcpV4();
        var sll = new byte[16];
        BinaryPrimitives.WriteUInt16BigEndian(sll.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(sll.AsSpan(4), 6);
        WriteMac(sll.AsSpan(6), MacA);
        BinaryPrimitives.WriteUInt16BigEndian(sll.AsSpan(14), 0x0800);
        var sll2 = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(sll2, 0x0800);
        BinaryPrimitives.WriteUInt16BigEndian(sll2.AsSpan(8), 1);
        sll2[11] = 6;
        WriteMac(sll2.AsSpan(12), MacA);
        byte[] nullLe = [2, 0, 0, 0];
        byte[] nullBe = [0, 0, 0, 2];
        byte[] loop = [0, 0, 0, 2];
        return new TheoryData<int, byte[]>
        {
            { LinkType.Ethernet, EthernetIpv4(ip) },
            { LinkType.Raw, ip },
            { LinkType.RawBsd12, ip },
            { LinkType.RawBsd14, ip },
            { LinkType.Ipv4, ip },
            { LinkType.LinuxSll, Concat(sll, ip) },
            { LinkType.LinuxSll2, Concat(sll2, ip) },
            { LinkType.Null, Concat(nullLe, ip) },
            { LinkType.Null, Concat(nullBe, ip) },
            { LinkType.Loop, Concat(loop, ip) },
        };
    }

    [Theory]
    [MemberData(nameof(LinkFrames))]
    public void Decode_EveryLinkType_FindsTheSameTcpPacket(int linkType, byte[] frame)
    {
        Assert.Equal(DecodeStatus.Ip, Decode(linkType, frame, out var p));
        Assert.Equal(IpAddr.Parse("10.0.0.1"), p.Source);
        Assert.Equal(80, p.DestinationPort);
        Assert.Equal(5, p.PayloadLength);
        if (linkType is LinkType.LinuxSll or LinkType.LinuxSll2) Assert.Equal(MacA, p.SourceMac);
    }

    [Fact]
    public void Decode_RawIpv6OnLinkType229_Decodes()
    {
        byte[] ip = Ipv6("2001:db8::1", "2001:db8::2", 17, Udp(1, 53, [0]));
        Assert.Equal(DecodeStatus.Ip, Decode(LinkType.Ipv6, ip, out var p));
        Assert.Equal(53, p.DestinationPort);
    }

    public static TheoryData<int, byte[]> TruncationCases() => new()
    {
        { LinkType.Ethernet, EthernetIpv4(TcpV4()) },
        { LinkType.Ethernet, Ethernet(MacA, MacB, 0x86DD, Ipv6("2001:db8::1", "2001:db8::2", 6, Tcp(1, 2, 3, 4, 0x10, s_hello), (0, 8), (44, 8)), 0x8100, 0x8100) },
        { LinkType.Ethernet, Ethernet(MacA, MacB, 0x0806, Arp(2, MacA, "10.0.0.1", MacB, "10.0.0.2")) },
        { LinkType.Raw, Ipv4("10.0.0.1", "10.0.0.2", 1, Icmp(8, 0)) },
        { LinkType.Raw, Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, s_hello), optionBytes: 12) },
    };

    [Theory]
    [MemberData(nameof(TruncationCases))]
    public void Decode_TruncatedAtEveryLength_NeverThrows(int linkType, byte[] frame)
    {
        for (int n = 0; n < frame.Length; n++)
        {
            var p = default(DecodedPacket);
            DecodeStatus s = PacketDecoder.Decode(linkType, frame.AsSpan(0, n), ref p);
            Assert.True(Enum.IsDefined(s));
            Assert.True(p.Payload.Length <= n);
        }
    }

    [Fact]
    public void Decode_RandomBytes_NeverThrows()
    {
        var random = new Random(1234);
        var buffer = new byte[128];
        int[] links = [LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null, LinkType.Ipv6];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(buffer);
            if (i % 2 == 0) buffer[0] = (byte)((random.Next(2) == 0 ? 0x45 : 0x60) | (buffer[0] & 0x0F));
            var p = default(DecodedPacket);
            PacketDecoder.Decode(links[i % links.Length], buffer.AsSpan(0, random.Next(buffer.Length)), ref p);
        }
    }

    [Fact]
    public void Decode_BadIpHeaderLength_IsMalformed()
    {
        byte[] ip = TcpV4();
        ip[0] = 0x44; // IHL 4 words < 20 bytes
        Assert.Equal(DecodeStatus.Malformed, Decode(LinkType.Raw, ip, out _));
    }
}

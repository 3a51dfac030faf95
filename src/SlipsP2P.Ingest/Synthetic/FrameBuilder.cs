using System.Buffers.Binary;

namespace SlipsP2P.Ingest.Synthetic;

/// <summary>Builds Ethernet + IPv4 + TCP/UDP/ICMP frames with correct checksums into a caller's buffer.</summary>
internal static class FrameBuilder
{
    public const int EthernetLength = 14;
    public const int Ipv4Length = 20;
    public const int TcpLength = 20;
    public const int UdpLength = 8;
    public const int IcmpLength = 8;

    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    /// <summary>Writes a TCP segment; returns the frame length.</summary>
    public static int Tcp(Span<byte> frame, uint src, uint dst, ushort sport, ushort dport, uint seq, uint ack, byte flags, ReadOnlySpan<byte> payload, ushort ipId)
    {
        int l4 = EthernetLength + Ipv4Length;
        int total = l4 + TcpLength + payload.Length;
        Ethernet(frame, src, dst);
        Ipv4(frame[EthernetLength..], src, dst, 6, TcpLength + payload.Length, ipId);
        var tcp = frame.Slice(l4, TcpLength + payload.Length);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], (flags & Ack) != 0 ? ack : 0);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 64240);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[18..], 0);
        payload.CopyTo(tcp[TcpLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], TransportChecksum(src, dst, 6, tcp));
        return total;
    }

    /// <summary>Writes a UDP datagram; returns the frame length.</summary>
    public static int Udp(Span<byte> frame, uint src, uint dst, ushort sport, ushort dport, ReadOnlySpan<byte> payload, ushort ipId)
    {
        int l4 = EthernetLength + Ipv4Length;
        Ethernet(frame, src, dst);
        Ipv4(frame[EthernetLength..], src, dst, 17, UdpLength + payload.Length, ipId);
        var udp = frame.Slice(l4, UdpLength + payload.Length);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        payload.CopyTo(udp[UdpLength..]);
        ushort sum = TransportChecksum(src, dst, 17, udp);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
        return l4 + udp.Length;
    }

    /// <summary>Writes an ICMP echo request (type 8) or reply (type 0); returns the frame length.</summary>
    public static int IcmpEcho(Span<byte> frame, uint src, uint dst, byte type, ushort id, ushort seq, ushort ipId)
    {
        const int PayloadLength = 32;
        int l4 = EthernetLength + Ipv4Length;
        Ethernet(frame, src, dst);
        Ipv4(frame[EthernetLength..], src, dst, 1, IcmpLength + PayloadLength, ipId);
        var icmp = frame.Slice(l4, IcmpLength + PayloadLength);
        icmp.Clear();
        icmp[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        for (int i = 0; i < PayloadLength; i++) icmp[IcmpLength + i] = (byte)('a' + (i % 23));
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp, 0));
        return l4 + icmp.Length;
    }

    private static void Ethernet(Span<byte> frame, uint src, uint dst)
    {
        // Locally administered MACs derived from the addresses, so each host keeps one MAC.
        frame[0] = 0x02;
        frame[1] = 0x00;
        BinaryPrimitives.WriteUInt32BigEndian(frame[2..], dst);
        frame[6] = 0x02;
        frame[7] = 0x00;
        BinaryPrimitives.WriteUInt32BigEndian(frame[8..], src);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], 0x0800);
    }

    private static void Ipv4(Span<byte> ip, uint src, uint dst, byte protocol, int payloadLength, ushort id)
    {
        ip[0] = 0x45;
        ip[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(Ipv4Length + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // don't fragment
        ip[8] = 64;
        ip[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..Ipv4Length], 0));
    }

    private static ushort TransportChecksum(uint src, uint dst, byte protocol, ReadOnlySpan<byte> segment)
    {
        uint pseudo = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + protocol + (uint)segment.Length;
        return Checksum(segment, pseudo);
    }

    private static ushort Checksum(ReadOnlySpan<byte> data, uint initial)
    {
        ulong sum = initial;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}

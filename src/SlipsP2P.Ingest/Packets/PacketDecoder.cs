using System.Buffers.Binary;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Packets;

/// <summary>
/// Decodes link, network and transport headers of one captured frame over a span, without allocating.
/// <code>
/// Ethernet  | dst mac 6 | src mac 6 | [0x8100/0x88a8/0x9100 tci 2]* | ethertype 2 |
/// SLL (113) | pkttype 2 | hatype 2 | halen 2 | addr 8 | protocol 2 |
/// SLL2(276) | protocol 2 | reserved 2 | ifindex 4 | hatype 2 | pkttype 1 | halen 1 | addr 8 |
/// Null (0)  | family 4 (host order) |      Loop (108) | family 4 (network order) |
/// </code>
/// IPv4 (RFC 791) with options and fragments, IPv6 (RFC 8200) with hop-by-hop, routing, fragment, destination
/// options and AH extension headers, TCP, UDP, ICMP/ICMPv6 (Zeek's type/counterpart port mapping) and ARP (RFC 826).
/// </summary>
public static class PacketDecoder
{
    private const int MaxVlanTags = 4;
    private const int MaxIpv6ExtensionHeaders = 8;

    /// <summary>Decodes <paramref name="frame"/> captured on <paramref name="linkType"/>.</summary>
    public static DecodeStatus Decode(int linkType, ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        packet = default;
        switch (linkType)
        {
            case LinkType.Ethernet:
                return DecodeEthernet(frame, ref packet);
            case LinkType.Raw or LinkType.RawBsd12 or LinkType.RawBsd14:
                if (frame.Length < 1) return DecodeStatus.Truncated;
                return (frame[0] >> 4) switch
                {
                    4 => DecodeIpv4(frame, ref packet),
                    6 => DecodeIpv6(frame, ref packet),
                    _ => DecodeStatus.Malformed,
                };
            case LinkType.Ipv4:
                return DecodeIpv4(frame, ref packet);
            case LinkType.Ipv6:
                return DecodeIpv6(frame, ref packet);
            case LinkType.LinuxSll:
                return DecodeSll(frame, ref packet);
            case LinkType.LinuxSll2:
                return DecodeSll2(frame, ref packet);
            case LinkType.Null or LinkType.Loop:
                return DecodeNull(linkType, frame, ref packet);
            default:
                return DecodeStatus.NotIp;
        }
    }

    private static DecodeStatus DecodeEthernet(ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        if (frame.Length < 14) return DecodeStatus.Truncated;
        packet.DestinationMac = ReadMac(frame);
        packet.SourceMac = ReadMac(frame[6..]);
        int offset = 12;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        int tags = 0;
        while (etherType is 0x8100 or 0x88A8 or 0x9100)
        {
            if (++tags > MaxVlanTags) return DecodeStatus.Malformed;
            if (frame.Length < offset + 6) return DecodeStatus.Truncated;
            if (packet.VlanId == 0) packet.VlanId = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]) & 0x0FFF);
            offset += 4;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        }

        return DecodeEtherType(etherType, frame[(offset + 2)..], ref packet);
    }

    private static DecodeStatus DecodeEtherType(ushort etherType, ReadOnlySpan<byte> payload, ref DecodedPacket packet) => etherType switch
    {
        0x0800 => DecodeIpv4(payload, ref packet),
        0x86DD => DecodeIpv6(payload, ref packet),
        0x0806 => DecodeArp(payload, ref packet),
        _ => DecodeStatus.NotIp,
    };

    private static DecodeStatus DecodeSll(ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        if (frame.Length < 16) return DecodeStatus.Truncated;
        ushort haType = BinaryPrimitives.ReadUInt16BigEndian(frame[2..]);
        ushort haLen = BinaryPrimitives.ReadUInt16BigEndian(frame[4..]);
        if (haType == 1 && haLen == 6) packet.SourceMac = ReadMac(frame[6..]);
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
        return DecodeEtherType(protocol, frame[16..], ref packet);
    }

    private static DecodeStatus DecodeSll2(ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        if (frame.Length < 20) return DecodeStatus.Truncated;
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(frame);
        ushort haType = BinaryPrimitives.ReadUInt16BigEndian(frame[8..]);
        if (haType == 1 && frame[11] == 6) packet.SourceMac = ReadMac(frame[12..]);
        return DecodeEtherType(protocol, frame[20..], ref packet);
    }

    private static DecodeStatus DecodeNull(int linkType, ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        if (frame.Length < 4) return DecodeStatus.Truncated;
        uint family = linkType == LinkType.Loop ? BinaryPrimitives.ReadUInt32BigEndian(frame) : BinaryPrimitives.ReadUInt32LittleEndian(frame);
        // DLT_NULL is in the byte order of the capturing host: accept the swapped value too.
        if (family > 0xFFFF) family = BinaryPrimitives.ReverseEndianness(family);
        return family switch
        {
            2 => DecodeIpv4(frame[4..], ref packet),
            24 or 28 or 30 => DecodeIpv6(frame[4..], ref packet), // AF_INET6 on NetBSD/OpenBSD, FreeBSD, macOS
            _ => DecodeStatus.NotIp,
        };
    }

    private static DecodeStatus DecodeArp(ReadOnlySpan<byte> p, ref DecodedPacket packet)
    {
        if (p.Length < 8) return DecodeStatus.Truncated;
        ushort hType = BinaryPrimitives.ReadUInt16BigEndian(p);
        ushort pType = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (hType != 1 || pType != 0x0800 || p[4] != 6 || p[5] != 4) return DecodeStatus.NotIp;
        if (p.Length < 28) return DecodeStatus.Truncated;
        packet.ArpOperation = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        packet.ArpSenderMac = ReadMac(p[8..]);
        packet.Source = IpAddr.FromV4(p[14..]);
        packet.ArpTargetMac = ReadMac(p[18..]);
        packet.Destination = IpAddr.FromV4(p[24..]);
        packet.IpLength = 28;
        return DecodeStatus.Arp;
    }

    /// <summary>Decodes an IPv4 packet and its transport header.</summary>
    public static DecodeStatus DecodeIpv4(ReadOnlySpan<byte> p, ref DecodedPacket packet)
    {
        if (p.Length < 20) return DecodeStatus.Truncated;
        if ((p[0] >> 4) != 4) return DecodeStatus.Malformed;
        int ihl = (p[0] & 0x0F) * 4;
        if (ihl < 20) return DecodeStatus.Malformed;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (totalLength < ihl) return DecodeStatus.Malformed;
        if (p.Length < ihl) return DecodeStatus.Truncated;
        packet.IpVersion = 4;
        packet.IpLength = totalLength;
        packet.Protocol = p[9];
        packet.Source = IpAddr.FromV4(p[12..]);
        packet.Destination = IpAddr.FromV4(p[16..]);
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        bool moreFragments = (fragment & 0x2000) != 0;
        int fragmentOffset = fragment & 0x1FFF;
        // Ethernet pads short frames: the IP total length, not the frame, bounds the payload.
        int end = Math.Min(p.Length, totalLength);
        if (fragmentOffset != 0) return DecodeStatus.Fragment;
        packet.IsFirstFragment = moreFragments;
        return DecodeTransport(packet.Protocol, p[ihl..end], totalLength - ihl, isV6: false, ref packet);
    }

    /// <summary>Decodes an IPv6 packet, its extension headers and its transport header.</summary>
    public static DecodeStatus DecodeIpv6(ReadOnlySpan<byte> p, ref DecodedPacket packet)
    {
        if (p.Length < 40) return DecodeStatus.Truncated;
        if ((p[0] >> 4) != 6) return DecodeStatus.Malformed;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        packet.IpVersion = 6;
        packet.IpLength = 40 + payloadLength;
        packet.Source = IpAddr.FromV6(p[8..]);
        packet.Destination = IpAddr.FromV6(p[24..]);
        byte next = p[6];
        int end = Math.Min(p.Length, 40 + payloadLength);
        int offset = 40;
        for (int i = 0; ; i++)
        {
            if (i > MaxIpv6ExtensionHeaders) return DecodeStatus.Malformed;
            switch (next)
            {
                case 0 or 43 or 60: // hop-by-hop, routing, destination options: (len + 1) * 8 bytes
                    if (end < offset + 2) return DecodeStatus.Truncated;
                    int len = (p[offset + 1] + 1) * 8;
                    next = p[offset];
                    offset += len;
                    if (offset > end) return DecodeStatus.Truncated;
                    continue;
                case 51: // AH: (len + 2) * 4 bytes
                    if (end < offset + 2) return DecodeStatus.Truncated;
                    int ahLen = (p[offset + 1] + 2) * 4;
                    next = p[offset];
                    offset += ahLen;
                    if (offset > end) return DecodeStatus.Truncated;
                    continue;
                case 44: // fragment header, 8 bytes
                    if (end < offset + 8) return DecodeStatus.Truncated;
                    ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(p[(offset + 2)..]);
                    next = p[offset];
                    offset += 8;
                    if ((fragment & 0xFFF8) != 0)
                    {
                        packet.Protocol = next;
                        return DecodeStatus.Fragment;
                    }

                    packet.IsFirstFragment = (fragment & 1) != 0;
                    continue;
                case 59: // no next header
                    packet.Protocol = next;
                    packet.Payload = default;
                    return DecodeStatus.Ip;
                default:
                    packet.Protocol = next;
                    int declared = 40 + payloadLength - offset;
                    return DecodeTransport(next, p[offset..end], declared, isV6: true, ref packet);
            }
        }
    }

    private static DecodeStatus DecodeTransport(byte protocol, ReadOnlySpan<byte> t, int declaredLength, bool isV6, ref DecodedPacket packet)
    {
        switch (protocol)
        {
            case 6:
                {
                    if (t.Length < 20) return DecodeStatus.Truncated;
                    int dataOffset = (t[12] >> 4) * 4;
                    if (dataOffset < 20) return DecodeStatus.Malformed;
                    packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(t);
                    packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(t[2..]);
                    packet.Sequence = BinaryPrimitives.ReadUInt32BigEndian(t[4..]);
                    packet.Acknowledgement = BinaryPrimitives.ReadUInt32BigEndian(t[8..]);
                    packet.Flags = (TcpControlBits)t[13];
                    packet.Window = BinaryPrimitives.ReadUInt16BigEndian(t[14..]);
                    packet.PayloadLength = Math.Max(0, declaredLength - dataOffset);
                    packet.Payload = dataOffset <= t.Length ? t[dataOffset..] : default;
                    return DecodeStatus.Ip;
                }

            case 17:
                {
                    if (t.Length < 8) return DecodeStatus.Truncated;
                    packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(t);
                    packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(t[2..]);
                    packet.PayloadLength = Math.Max(0, declaredLength - 8);
                    packet.Payload = t[8..];
                    return DecodeStatus.Ip;
                }

            case 1 or 58:
                {
                    if ((protocol == 58) != isV6) return DecodeStatus.Ip;
                    if (t.Length < 4) return DecodeStatus.Truncated;
                    packet.IcmpType = t[0];
                    packet.IcmpCode = t[1];
                    (packet.SourcePort, packet.DestinationPort, _) = protocol == 1 ? IcmpPorts.V4(t[0], t[1]) : IcmpPorts.V6(t[0], t[1]);
                    // Zeek counts ICMP payload after the 8-byte header as the connection's bytes.
                    packet.PayloadLength = Math.Max(0, declaredLength - 8);
                    packet.Payload = t.Length > 8 ? t[8..] : default;
                    return DecodeStatus.Ip;
                }

            default:
                packet.PayloadLength = Math.Max(0, declaredLength);
                packet.Payload = t;
                return DecodeStatus.Ip;
        }
    }

    private static ulong ReadMac(ReadOnlySpan<byte> b) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(b) << 32) | BinaryPrimitives.ReadUInt32BigEndian(b[2..]);
}

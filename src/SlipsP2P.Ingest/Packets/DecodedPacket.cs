using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Packets;

/// <summary>What <see cref="PacketDecoder"/> found in a frame.</summary>
public enum DecodeStatus : byte
{
    /// <summary>An IP packet with its transport header (or an IP packet of another protocol).</summary>
    Ip,
    /// <summary>An ARP packet.</summary>
    Arp,
    /// <summary>A well-formed frame that is neither IP nor ARP (LLDP, STP ...): nothing to do.</summary>
    NotIp,
    /// <summary>A non-first IP fragment: no transport header, so no ports.</summary>
    Fragment,
    /// <summary>The frame ends inside a header.</summary>
    Truncated,
    /// <summary>A header field is impossible (bad version, header length below minimum ...).</summary>
    Malformed,
}

/// <summary>TCP flag bits as they appear in the header's 13th byte.</summary>
[Flags]
public enum TcpControlBits : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}

/// <summary>
/// The decoded headers of one frame. A ref struct over the frame's bytes: nothing is copied or allocated, and the
/// payload is a slice of the input valid only until the next packet is read.
/// </summary>
// Public fields on purpose: a per-packet value filled in place by the decoder, read on the hot path.
#pragma warning disable CA1051
public ref struct DecodedPacket
{
    /// <summary>Source IP (ARP: sender protocol address).</summary>
    public IpAddr Source;
    /// <summary>Destination IP (ARP: target protocol address).</summary>
    public IpAddr Destination;
    /// <summary>IANA protocol number of the transport (after IPv6 extension headers).</summary>
    public byte Protocol;
    /// <summary>TCP/UDP source port; ICMP: Zeek's port equivalent of the type.</summary>
    public ushort SourcePort;
    /// <summary>TCP/UDP destination port; ICMP: Zeek's counterpart type or the code.</summary>
    public ushort DestinationPort;
    /// <summary>ICMP type and code as on the wire.</summary>
    public byte IcmpType;
    public byte IcmpCode;
    /// <summary>TCP flags.</summary>
    public TcpControlBits Flags;
    /// <summary>TCP sequence and acknowledgement numbers.</summary>
    public uint Sequence;
    public uint Acknowledgement;
    /// <summary>TCP window.</summary>
    public ushort Window;
    /// <summary>IP-level length from the IP header (IPv4 total length, IPv6 40 + payload length).</summary>
    public int IpLength;
    /// <summary>Transport payload length as the headers state it (may exceed <see cref="Payload"/> when the capture was cut by the snap length).</summary>
    public int PayloadLength;
    /// <summary>The captured part of the transport payload.</summary>
    public ReadOnlySpan<byte> Payload;
    /// <summary>Ethernet (or cooked) source and destination MAC as 48-bit numbers; 0 when the link has none.</summary>
    public ulong SourceMac;
    public ulong DestinationMac;
    /// <summary>Outermost VLAN id, 0 when untagged.</summary>
    public ushort VlanId;
    /// <summary>IP version (4 or 6); 0 for ARP.</summary>
    public byte IpVersion;
    /// <summary>ARP operation (1 request, 2 reply).</summary>
    public ushort ArpOperation;
    /// <summary>ARP sender and target hardware addresses.</summary>
    public ulong ArpSenderMac;
    public ulong ArpTargetMac;
    /// <summary>Set for the first fragment of a fragmented IP packet.</summary>
    public bool IsFirstFragment;

    /// <summary>Formats a 48-bit MAC as Zeek prints it (lower-case, colon separated).</summary>
    public static string FormatMac(ulong mac)
    {
        return string.Create(17, mac, static (span, m) =>
        {
            const string hex = "0123456789abcdef";
            for (int i = 0; i < 6; i++)
            {
                byte b = (byte)(m >> (8 * (5 - i)));
                span[i * 3] = hex[b >> 4];
                span[(i * 3) + 1] = hex[b & 0xF];
                if (i < 5) span[(i * 3) + 2] = ':';
            }
        });
    }
}
#pragma warning restore CA1051

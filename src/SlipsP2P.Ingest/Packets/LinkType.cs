namespace SlipsP2P.Ingest.Packets;

/// <summary>The libpcap link-layer header types this decoder understands (https://www.tcpdump.org/linktypes.html).</summary>
public static class LinkType
{
    /// <summary>BSD loopback: a 4-byte address family in the capturing host's byte order.</summary>
    public const int Null = 0;
    /// <summary>Ethernet II / 802.3.</summary>
    public const int Ethernet = 1;
    /// <summary>Raw IP on some BSDs (DLT_RAW = 12).</summary>
    public const int RawBsd12 = 12;
    /// <summary>Raw IP on OpenBSD (DLT_RAW = 14).</summary>
    public const int RawBsd14 = 14;
    /// <summary>Raw IP (LINKTYPE_RAW).</summary>
    public const int Raw = 101;
    /// <summary>OpenBSD loopback: the address family in network byte order.</summary>
    public const int Loop = 108;
    /// <summary>Linux cooked capture v1.</summary>
    public const int LinuxSll = 113;
    /// <summary>Raw IPv4.</summary>
    public const int Ipv4 = 228;
    /// <summary>Raw IPv6.</summary>
    public const int Ipv6 = 229;
    /// <summary>Linux cooked capture v2.</summary>
    public const int LinuxSll2 = 276;

    /// <summary>True when <see cref="PacketDecoder"/> can decode frames of this link type.</summary>
    public static bool IsSupported(int linkType) => linkType is Null or Ethernet or RawBsd12 or RawBsd14 or Raw or Loop
        or LinuxSll or Ipv4 or Ipv6 or LinuxSll2;
}

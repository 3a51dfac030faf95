namespace SlipsP2P.Core;

/// <summary>Transport protocol of a flow, by IANA protocol number.</summary>
public enum Protocol : byte
{
    /// <summary>Anything not listed (the number is kept in <see cref="FlowRecord.ProtocolNumber"/>).</summary>
    Other = 255,
    Icmp = 1,
    Igmp = 2,
    Tcp = 6,
    Udp = 17,
    Gre = 47,
    Icmp6 = 58,
    Sctp = 132,
    /// <summary>Not IP at all (ARP records from Argus or captures).</summary>
    Arp = 254,
}

/// <summary>Names as Zeek and Slips print them.</summary>
public static class ProtocolNames
{
    /// <summary>Lower-case name: tcp, udp, icmp, icmp6 (Zeek says "icmp" for both; Slips uses "ipv6-icmp").</summary>
    public static string ToName(this Protocol p) => p switch
    {
        Protocol.Tcp => "tcp",
        Protocol.Udp => "udp",
        Protocol.Icmp => "icmp",
        Protocol.Icmp6 => "ipv6-icmp",
        Protocol.Igmp => "igmp",
        Protocol.Gre => "gre",
        Protocol.Sctp => "sctp",
        Protocol.Arp => "arp",
        _ => "unknown_transport",
    };

    /// <summary>Parses the names that Zeek, Argus and Suricata use (case-insensitive).</summary>
    public static Protocol Parse(ReadOnlySpan<char> name)
    {
        if (name.Equals("tcp", StringComparison.OrdinalIgnoreCase)) return Protocol.Tcp;
        if (name.Equals("udp", StringComparison.OrdinalIgnoreCase)) return Protocol.Udp;
        if (name.Equals("icmp", StringComparison.OrdinalIgnoreCase)) return Protocol.Icmp;
        if (name.Equals("ipv6-icmp", StringComparison.OrdinalIgnoreCase) || name.Equals("icmp6", StringComparison.OrdinalIgnoreCase)
            || name.Equals("icmpv6", StringComparison.OrdinalIgnoreCase) || name.Equals("ipv6_icmp", StringComparison.OrdinalIgnoreCase)) return Protocol.Icmp6;
        if (name.Equals("igmp", StringComparison.OrdinalIgnoreCase)) return Protocol.Igmp;
        if (name.Equals("gre", StringComparison.OrdinalIgnoreCase)) return Protocol.Gre;
        if (name.Equals("sctp", StringComparison.OrdinalIgnoreCase)) return Protocol.Sctp;
        if (name.Equals("arp", StringComparison.OrdinalIgnoreCase)) return Protocol.Arp;
        return Protocol.Other;
    }
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest;

/// <summary>
/// Community ID v1 flow hashing (https://github.com/corelight/community-id-spec).
/// <code>
/// sha1( seed:u16be | saddr:4|16 | daddr:4|16 | proto:u8 | 0:u8 | sport:u16be | dport:u16be )
/// </code>
/// The endpoints are ordered so that the numerically smaller (address, port) comes first, which makes both directions
/// of a flow hash alike. ICMP and ICMPv6 map (type, code) to Zeek's port equivalents: a type with a request/reply
/// counterpart becomes (type, counterpart); any other type is one-way, keeps (type, code) and is not reordered.
/// Ports are hashed only for TCP, UDP, SCTP, ICMP and ICMPv6.
/// </summary>
public static class CommunityId
{
    /// <summary>Largest hash input: 2 + 16 + 16 + 2 + 4.</summary>
    internal const int MaxInputLength = 40;

    /// <summary>Computes "1:" + base64(SHA1) for a flow. For ICMP(v6) pass the type as <paramref name="sourcePort"/> and the code (or Zeek's counterpart type) as <paramref name="destinationPort"/>.</summary>
    public static string Compute(IpAddr source, IpAddr destination, ushort sourcePort, ushort destinationPort, byte protocol, ushort seed = 0)
    {
        Span<byte> digest = stackalloc byte[20];
        Hash(source, destination, sourcePort, destinationPort, protocol, seed, default, digest);
        return "1:" + Convert.ToBase64String(digest);
    }

    /// <summary>Writes the SHA1 digest of the ordered tuple, with <paramref name="prefix"/> (if any) hashed right after the seed.</summary>
    internal static void Hash(IpAddr source, IpAddr destination, ushort sourcePort, ushort destinationPort, byte protocol, ushort seed,
        ReadOnlySpan<byte> prefix, Span<byte> digest)
    {
        bool hasPorts = protocol is 6 or 17 or 132 or 1 or 58;
        bool oneWay = false;
        if (protocol == 1)
        {
            (sourcePort, destinationPort, oneWay) = IcmpPorts.V4(sourcePort, destinationPort);
        }
        else if (protocol == 58)
        {
            (sourcePort, destinationPort, oneWay) = IcmpPorts.V6(sourcePort, destinationPort);
        }

        Span<byte> s = stackalloc byte[16];
        Span<byte> d = stackalloc byte[16];
        int sl = source.WriteBytes(s);
        int dl = destination.WriteBytes(d);
        s = s[..sl];
        d = d[..dl];

        if (!oneWay)
        {
            int c = s.SequenceCompareTo(d);
            if (c > 0 || (c == 0 && hasPorts && sourcePort > destinationPort))
            {
                Span<byte> t = s;
                s = d;
                d = t;
                (sourcePort, destinationPort) = (destinationPort, sourcePort);
            }
        }

        Span<byte> input = stackalloc byte[MaxInputLength + 16];
        int n = 0;
        BinaryPrimitives.WriteUInt16BigEndian(input, seed);
        n += 2;
        prefix.CopyTo(input[n..]);
        n += prefix.Length;
        s.CopyTo(input[n..]);
        n += s.Length;
        d.CopyTo(input[n..]);
        n += d.Length;
        input[n++] = protocol;
        input[n++] = 0;
        if (hasPorts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(input[n..], sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(input[(n + 2)..], destinationPort);
            n += 4;
        }

#pragma warning disable CA5350 // Community ID v1 is defined over SHA1; it is a flow label, not a security control.
        SHA1.HashData(input[..n], digest);
#pragma warning restore CA5350
    }
}

/// <summary>Zeek's ICMP port equivalents (Zeek src/packet_analysis/protocol/icmp: ICMP4_counterpart / ICMP6_counterpart).</summary>
public static class IcmpPorts
{
    /// <summary>ICMPv4: (type, counterpart) for request/reply pairs, else (type, code) and one-way.</summary>
    public static (ushort SourcePort, ushort DestinationPort, bool OneWay) V4(ushort type, ushort code) => type switch
    {
        8 => (8, 0, false),      // echo -> echo reply
        0 => (0, 8, false),
        13 => (13, 14, false),   // timestamp
        14 => (14, 13, false),
        15 => (15, 16, false),   // information
        16 => (16, 15, false),
        10 => (10, 9, false),    // router solicitation -> advertisement
        9 => (9, 10, false),
        17 => (17, 18, false),   // address mask
        18 => (18, 17, false),
        _ => (type, code, true),
    };

    /// <summary>ICMPv6: (type, counterpart) for request/reply pairs, else (type, code) and one-way.</summary>
    public static (ushort SourcePort, ushort DestinationPort, bool OneWay) V6(ushort type, ushort code) => type switch
    {
        128 => (128, 129, false), // echo
        129 => (129, 128, false),
        133 => (133, 134, false), // router solicitation
        134 => (134, 133, false),
        135 => (135, 136, false), // neighbor solicitation
        136 => (136, 135, false),
        130 => (130, 131, false), // MLD query -> report
        131 => (131, 130, false),
        139 => (139, 140, false), // node information
        140 => (140, 139, false),
        144 => (144, 145, false), // home agent address discovery
        145 => (145, 144, false),
        _ => (type, code, true),
    };
}

// Multiaddr protocol table (subset): https://github.com/multiformats/multiaddr/blob/master/protocols.csv
namespace SlipsP2P.Libp2p.Multiformats;

/// <summary>One multiaddr protocol: its code, name and value size (-1 = varint-length-prefixed, 0 = no value).</summary>
public sealed record MultiaddrProtocol(int Code, string Name, int Size)
{
    /// <summary>Value size meaning "uvarint length prefix, then that many bytes".</summary>
    public const int VariableSize = -1;

    /// <summary>ip4, 4 bytes.</summary>
    public static readonly MultiaddrProtocol Ip4 = new(4, "ip4", 4);

    /// <summary>tcp, 2-byte big-endian port.</summary>
    public static readonly MultiaddrProtocol Tcp = new(6, "tcp", 2);

    /// <summary>udp, 2-byte big-endian port.</summary>
    public static readonly MultiaddrProtocol Udp = new(273, "udp", 2);

    /// <summary>ip6, 16 bytes.</summary>
    public static readonly MultiaddrProtocol Ip6 = new(41, "ip6", 16);

    /// <summary>ip6zone, a UTF-8 zone name.</summary>
    public static readonly MultiaddrProtocol Ip6Zone = new(42, "ip6zone", VariableSize);

    /// <summary>dns, a UTF-8 name.</summary>
    public static readonly MultiaddrProtocol Dns = new(53, "dns", VariableSize);

    /// <summary>dns4, a UTF-8 name resolved to IPv4.</summary>
    public static readonly MultiaddrProtocol Dns4 = new(54, "dns4", VariableSize);

    /// <summary>dns6, a UTF-8 name resolved to IPv6.</summary>
    public static readonly MultiaddrProtocol Dns6 = new(55, "dns6", VariableSize);

    /// <summary>dnsaddr, a UTF-8 name resolved through TXT records.</summary>
    public static readonly MultiaddrProtocol DnsAddr = new(56, "dnsaddr", VariableSize);

    /// <summary>p2p (alias ipfs): the peer-id multihash.</summary>
    public static readonly MultiaddrProtocol P2p = new(421, "p2p", VariableSize);

    /// <summary>p2p-circuit, no value.</summary>
    public static readonly MultiaddrProtocol P2pCircuit = new(290, "p2p-circuit", 0);

    /// <summary>tls, no value.</summary>
    public static readonly MultiaddrProtocol Tls = new(448, "tls", 0);

    /// <summary>noise, no value.</summary>
    public static readonly MultiaddrProtocol Noise = new(454, "noise", 0);

    /// <summary>quic, no value.</summary>
    public static readonly MultiaddrProtocol Quic = new(460, "quic", 0);

    /// <summary>quic-v1, no value.</summary>
    public static readonly MultiaddrProtocol QuicV1 = new(461, "quic-v1", 0);

    /// <summary>webtransport, no value.</summary>
    public static readonly MultiaddrProtocol WebTransport = new(465, "webtransport", 0);

    /// <summary>ws, no value.</summary>
    public static readonly MultiaddrProtocol Ws = new(477, "ws", 0);

    /// <summary>wss, no value.</summary>
    public static readonly MultiaddrProtocol Wss = new(478, "wss", 0);

    private static readonly MultiaddrProtocol[] s_all =
        [Ip4, Tcp, Udp, Ip6, Ip6Zone, Dns, Dns4, Dns6, DnsAddr, P2p, P2pCircuit, Tls, Noise, Quic, QuicV1, WebTransport, Ws, Wss];

    /// <summary>Finds a protocol by code.</summary>
    public static MultiaddrProtocol? FromCode(ulong code)
    {
        foreach (var p in s_all)
        {
            if ((ulong)p.Code == code) return p;
        }

        return null;
    }

    /// <summary>Finds a protocol by name ("ipfs" is accepted as an alias of "p2p").</summary>
    public static MultiaddrProtocol? FromName(ReadOnlySpan<char> name)
    {
        if (name.SequenceEqual("ipfs")) return P2p;
        foreach (var p in s_all)
        {
            if (name.SequenceEqual(p.Name)) return p;
        }

        return null;
    }
}

// libp2p mDNS discovery: https://github.com/libp2p/specs/blob/master/discovery/mdns.md
//
//   query:    _p2p._udp.local PTR
//   response: answer      _p2p._udp.local PTR <peer-name>._p2p._udp.local
//             additional  <peer-name>._p2p._udp.local TXT "dnsaddr=<multiaddr>/p2p/<peer id>" (one string per address)
//
// peer-name: random, at least 32 lower-case alphanumerics, at most 63 characters, and not the peer id.
using System.Security.Cryptography;
using System.Text;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Discovery.Mdns;

/// <summary>Builds and reads libp2p mDNS queries and responses.</summary>
public static class MdnsMessages
{
    /// <summary>The libp2p service name.</summary>
    public const string ServiceName = "_p2p._udp.local";

    /// <summary>The mDNS port.</summary>
    public const int Port = 5353;

    /// <summary>The IPv4 mDNS group, 224.0.0.251.</summary>
    public static System.Net.IPAddress MulticastIPv4 { get; } = System.Net.IPAddress.Parse("224.0.0.251");

    private const string DnsAddrPrefix = "dnsaddr=";

    /// <summary>A random peer name of 32 lower-case alphanumerics.</summary>
    public static string RandomPeerName() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 32);

    /// <summary>The PTR query for the service.</summary>
    public static DnsMessage CreateQuery()
    {
        var m = new DnsMessage();
        m.Questions.Add(new DnsQuestion(ServiceName, DnsType.DomainNamePointer));
        return m;
    }

    /// <summary>True when the message asks for the libp2p service.</summary>
    public static bool IsServiceQuery(DnsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.IsResponse) return false;
        foreach (var q in message.Questions)
        {
            if ((q.Type is DnsType.DomainNamePointer or DnsType.Any) && string.Equals(q.Name, ServiceName, StringComparison.OrdinalIgnoreCase)) return true;
        }

        return false;
    }

    /// <summary>A response announcing <paramref name="addresses"/> (each ending in /p2p/&lt;id&gt;) under <paramref name="peerName"/>.</summary>
    public static DnsMessage CreateResponse(string peerName, IEnumerable<Multiaddr> addresses, uint ttl = 120)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerName);
        ArgumentNullException.ThrowIfNull(addresses);
        string instance = peerName + "." + ServiceName;
        var m = new DnsMessage { Flags = 0x8400 };
        m.Answers.Add(new DnsRecord { Name = ServiceName, Type = DnsType.DomainNamePointer, Ttl = ttl, PtrTarget = instance });
        var strings = new List<byte[]>();
        foreach (var a in addresses)
        {
            var s = Encoding.UTF8.GetBytes(DnsAddrPrefix + a);
            if (s.Length <= 255) strings.Add(s);
        }

        m.Additionals.Add(new DnsRecord { Name = instance, Type = DnsType.Txt, Ttl = ttl, TxtStrings = strings });
        return m;
    }

    /// <summary>
    /// The multiaddrs announced in a response: TXT "dnsaddr=" strings (answers and additionals) of instances under the
    /// service. Strings that are not multiaddrs ending in /p2p are skipped.
    /// </summary>
    public static List<PeerAddress> ExtractPeerAddresses(DnsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var result = new List<PeerAddress>();
        if (!message.IsResponse) return result;
        foreach (var list in new[] { message.Answers, message.Additionals })
        {
            foreach (var r in list)
            {
                if (r.Type != DnsType.Txt || r.TxtStrings is null) continue;
                if (!r.Name.EndsWith("." + ServiceName, StringComparison.OrdinalIgnoreCase)) continue;
                foreach (var raw in r.TxtStrings)
                {
                    string s = Encoding.UTF8.GetString(raw);
                    if (!s.StartsWith(DnsAddrPrefix, StringComparison.Ordinal)) continue;
                    if (!Multiaddr.TryParse(s[DnsAddrPrefix.Length..], out var ma, out _) || ma is null) continue;
                    if (ma.Components.Count < 2 || ma.Components[^1].Protocol != MultiaddrProtocol.P2p) continue;
                    result.Add(new PeerAddress(ma.PeerId!, ma));
                }
            }
        }

        return result;
    }
}

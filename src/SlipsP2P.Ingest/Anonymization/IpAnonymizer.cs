using System.Buffers.Binary;
using System.Security.Cryptography;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Anonymization;

/// <summary>
/// Replaces every IP address of every record by a keyed hash (HMAC-SHA256) before any processing, for <c>-A</c>.
/// The replacement keeps what detection depends on: the family, and whether the address is private (mapped into
/// 10.0.0.0/8 or fd00::/8) or public (mapped into public space), multicast or special (kept as they are, since
/// they identify no one). Collisions are resolved by re-hashing with a counter, so the mapping stays one-to-one.
/// The mapping is kept so that <see cref="WriteMapping"/> can let the user relate alerts back.
/// </summary>
public sealed class IpAnonymizer : IEventSink, IDisposable
{
    private readonly IEventSink _next;
    private readonly byte[] _key;
    private readonly Dictionary<IpAddr, IpAddr> _forward = new();
    private readonly HashSet<IpAddr> _used = new();

    /// <summary>Anonymizes records and passes them on to <paramref name="next"/>.</summary>
    /// <param name="next">The sink that receives anonymized records.</param>
    /// <param name="key">The HMAC key (at least 16 bytes); random when null.</param>
    public IpAnonymizer(IEventSink next, byte[]? key = null)
    {
        _next = next;
        if (key is not null && key.Length < 16) throw new ArgumentException("the anonymization key must be at least 16 bytes", nameof(key));
        _key = key ?? RandomNumberGenerator.GetBytes(32);
    }

    /// <summary>Number of distinct addresses replaced.</summary>
    public int Count => _forward.Count;

    public void OnEvent(NetEvent record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Source = Map(record.Source);
        record.Destination = Map(record.Destination);
        switch (record)
        {
            case FlowRecord flow:
                // A Community ID of the real tuple could be brute-forced back to the addresses: drop it.
                flow.CommunityId = "";
                flow.SourceMac = "";
                break;
            case DnsRecord dns:
                if (dns.Answers.Count > 0) dns.Answers = MapAnswers(dns.Answers);
                dns.Query = MapReverseName(dns.Query);
                break;
            case HttpRecord http:
                http.Host = MapLiteral(http.Host);
                break;
            case TlsRecord tls:
                tls.ServerName = MapLiteral(tls.ServerName);
                break;
            case ArpRecord arp:
                arp.SourceMac = "";
                arp.DestinationMac = "";
                break;
        }

        _next.OnEvent(record);
    }

    /// <summary>The replacement of <paramref name="address"/> (stable for the lifetime of this instance).</summary>
    public IpAddr Map(IpAddr address)
    {
        if (address.IsNone || address.IsMulticast || address.IsSpecial || (address.IsV4 && address.V4 == 0xFFFF_FFFF)) return address;
        if (_forward.TryGetValue(address, out var mapped)) return mapped;

        Span<byte> input = stackalloc byte[20];
        Span<byte> mac = stackalloc byte[32];
        int len = address.WriteBytes(input);
        for (uint attempt = 0; ; attempt++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input[len..], attempt);
            HMACSHA256.HashData(_key, input[..(len + 4)], mac);
            mapped = address.IsV4 ? MapV4(address, mac) : MapV6(address, mac);
            if (!mapped.IsSpecial && mapped.IsPrivate == address.IsPrivate && _used.Add(mapped)) break;
        }

        _forward[address] = mapped;
        return mapped;
    }

    private static IpAddr MapV4(IpAddr original, ReadOnlySpan<byte> mac)
    {
        uint h = BinaryPrimitives.ReadUInt32BigEndian(mac);
        // Keep the last octet's broadcast-ness out of the way: .0 and .255 are avoided.
        if ((h & 0xFF) is 0 or 0xFF) h ^= 0x01;
        return original.IsPrivate ? IpAddr.FromV4(0x0A00_0000u | (h & 0x00FF_FFFF)) : IpAddr.FromV4(h);
    }

    private static IpAddr MapV6(IpAddr original, ReadOnlySpan<byte> mac)
    {
        ulong hi = BinaryPrimitives.ReadUInt64BigEndian(mac);
        ulong lo = BinaryPrimitives.ReadUInt64BigEndian(mac[8..]);
        // Private: fd00::/8 (unique local). Public: 2000::/3 (global unicast).
        hi = original.IsPrivate ? (hi & 0x00FF_FFFF_FFFF_FFFFUL) | 0xFD00_0000_0000_0000UL
                                : (hi & 0x1FFF_FFFF_FFFF_FFFFUL) | 0x2000_0000_0000_0000UL;
        return new IpAddr(hi, lo);
    }

    private List<string> MapAnswers(IReadOnlyList<string> answers)
    {
        var result = new List<string>(answers.Count);
        foreach (var a in answers) result.Add(IpAddr.TryParse(a, out var ip) ? Map(ip).ToString() : a);
        return result;
    }

    private string MapLiteral(string text) => IpAddr.TryParse(text, out var ip) ? Map(ip).ToString() : text;

    /// <summary>A reverse lookup name (d.c.b.a.in-addr.arpa) names an address too: map it.</summary>
    private string MapReverseName(string query)
    {
        const string Suffix = ".in-addr.arpa";
        if (!query.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase)) return query;
        var labels = query[..^Suffix.Length].Split('.');
        if (labels.Length != 4) return query;
        Array.Reverse(labels);
        if (!IpAddr.TryParse(string.Join('.', labels), out var ip) || !ip.IsV4) return query;
        uint m = Map(ip).V4;
        return $"{m & 0xFF}.{(m >> 8) & 0xFF}.{(m >> 16) & 0xFF}.{m >> 24}{Suffix}";
    }

    /// <summary>Writes the mapping as CSV (original,anonymized), sorted by original address.</summary>
    public void WriteMapping(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("original,anonymized\n");
        var keys = new List<IpAddr>(_forward.Keys);
        keys.Sort();
        foreach (var k in keys)
        {
            writer.Write(k.ToString());
            writer.Write(',');
            writer.Write(_forward[k].ToString());
            writer.Write('\n');
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}

using System.Globalization;

namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>
/// Indicators of compromise held for O(1) lookups: IPs and JA3 hashes in hash tables, domains in a hash table probed
/// for the name and each parent (at most <see cref="MaxLabels"/> probes), CIDR ranges in one hash table per prefix
/// length (at most 33 probes for IPv4, 129 for IPv6, only over lengths actually present). Built once, then read-only,
/// so a refreshed store can be swapped in while detection reads the old one.
/// </summary>
public sealed class IocStore
{
    /// <summary>Labels of a name probed at most (a.b.c.example.com: the name and its parents).</summary>
    public const int MaxLabels = 10;

    /// <summary>Longest domain accepted, in characters (RFC 1035: 253).</summary>
    public const int MaxDomainLength = 253;

    private readonly Dictionary<IpAddr, IocInfo> _ips = new();
    private readonly Dictionary<string, IocInfo> _domains = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IocInfo> _ja3 = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IocInfo> _asns = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<uint, IocInfo> _asnNumbers = new();
    private readonly Dictionary<(IpAddr Network, int Prefix), IocInfo> _ranges = new();
    private readonly SortedSet<int> _prefixLengthsSet = new(Comparer<int>.Create((a, b) => b.CompareTo(a)));
    private int[] _prefixLengths = [];

    // One bit per IPv4 /16 holding a listed address or part of a listed range: most flows' addresses fall in no such
    // /16 and are answered by one bit test instead of a hash probe per listed prefix length. Off (every IPv4 address
    // probed) once an IPv6 range covers IPv4-mapped space.
    private readonly ulong[] _v4Blocks = new ulong[65536 / 64];
    private bool _v4BlocksComplete = true;

    /// <summary>An empty store.</summary>
    public static IocStore Empty { get; } = new();

    /// <summary>IP indicators.</summary>
    public int IpCount => _ips.Count;

    /// <summary>Domain indicators.</summary>
    public int DomainCount => _domains.Count;

    /// <summary>Range indicators.</summary>
    public int RangeCount => _ranges.Count;

    /// <summary>JA3 indicators.</summary>
    public int Ja3Count => _ja3.Count;

    /// <summary>ASN indicators (matched through <see cref="AsnTable"/>).</summary>
    public int AsnCount => _asns.Count;

    /// <summary>The IP-to-ASN mapping ASN indicators are matched through; empty when no table was loaded.</summary>
    public AsnTable AsnTable { get; set; } = AsnTable.Empty;

    /// <summary>Problems met while this store was loaded (one line per file), for the run to print.</summary>
    public IReadOnlyList<string> LoadWarnings { get; set; } = Array.Empty<string>();

    /// <summary>All indicators.</summary>
    public int Count => _ips.Count + _domains.Count + _ranges.Count + _ja3.Count + _asns.Count;

    /// <summary>Adds an IP indicator (the first listing wins, unless a later one has a higher threat level).</summary>
    public void AddIp(IpAddr ip, IocInfo info)
    {
        if (ip.IsV4) MarkV4Blocks(ip.V4 >> 16, 1);
        Put(_ips, ip, info);
    }

    /// <summary>Adds a domain (lower-cased, trailing dot and leading "*." / "www." kept as given except the dot).</summary>
    public bool AddDomain(string domain, IocInfo info)
    {
        ArgumentNullException.ThrowIfNull(domain);
        string d = domain.Trim().TrimEnd('.');
        if (d.StartsWith("*.", StringComparison.Ordinal)) d = d[2..];
        if (d.Length == 0 || d.Length > MaxDomainLength || !d.Contains('.', StringComparison.Ordinal)) return false;
        Put(_domains, d.ToLowerInvariant(), info);
        return true;
    }

    /// <summary>Adds a JA3 or JA3S md5 (32 hex digits).</summary>
    public bool AddJa3(string hash, IocInfo info)
    {
        ArgumentNullException.ThrowIfNull(hash);
        string h = hash.Trim();
        if (h.Length != 32 || !h.All(Uri.IsHexDigit)) return false;
        Put(_ja3, h.ToLowerInvariant(), info);
        return true;
    }

    /// <summary>Adds an ASN ("AS1234" or "1234").</summary>
    public bool AddAsn(string asn, IocInfo info)
    {
        ArgumentNullException.ThrowIfNull(asn);
        string a = asn.Trim();
        if (a.StartsWith("AS", StringComparison.OrdinalIgnoreCase)) a = a[2..];
        if (!uint.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        Put(_asns, "AS" + n.ToString(CultureInfo.InvariantCulture), info);
        Put(_asnNumbers, n, info);
        return true;
    }

    /// <summary>Adds a CIDR range; a /32 (/128) becomes an IP indicator.</summary>
    public void AddRange(IpAddr network, int prefix, IocInfo info)
    {
        int max = network.IsV4 ? 32 : 128;
        ArgumentOutOfRangeException.ThrowIfNegative(prefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefix, max);
        if (prefix == max)
        {
            AddIp(network, info);
            return;
        }

        int bits = network.IsV4 ? 96 + prefix : prefix;
        if (network.IsV4)
        {
            // A /16 or longer lies in one block; a shorter prefix spans 2^(16 - prefix) of them.
            int blocks = prefix >= 16 ? 1 : 1 << (16 - prefix);
            MarkV4Blocks((network.V4 >> 16) & ~(uint)(blocks - 1), blocks);
        }
        else if (bits <= 96 && Mask(IpAddr.FromV4(0), bits) == Mask(network, bits))
        {
            _v4BlocksComplete = false;
        }

        Put(_ranges, (Mask(network, bits), bits), info);
        if (_prefixLengthsSet.Add(bits)) _prefixLengths = [.. _prefixLengthsSet];
    }

    /// <summary>The indicator for an address: exact first, then the longest listed range holding it.</summary>
    public bool TryMatchIp(IpAddr ip, out IocInfo info, out IocKind kind)
    {
        kind = IocKind.Ip;
        if (ip.IsV4 && _v4BlocksComplete && (_v4Blocks[ip.V4 >> 22] & (1UL << (int)((ip.V4 >> 16) & 63))) == 0)
        {
            kind = IocKind.Range;
            info = null!;
            return false;
        }

        if (_ips.TryGetValue(ip, out info!)) return true;
        kind = IocKind.Range;
        foreach (int bits in _prefixLengths)
        {
            if (_ranges.TryGetValue((Mask(ip, bits), bits), out info!)) return true;
        }

        info = null!;
        return false;
    }

    /// <summary>The indicator for a name or one of its parent domains (evil.com lists www.evil.com too).</summary>
    public bool TryMatchDomain(string name, out IocInfo info, out string matched)
    {
        info = null!;
        matched = "";
        if (string.IsNullOrEmpty(name) || _domains.Count == 0 || name.Length > MaxDomainLength) return false;
        string d = name.EndsWith('.') ? name[..^1] : name;
        var lookup = _domains.GetAlternateLookup<ReadOnlySpan<char>>();
        ReadOnlySpan<char> span = d;
        for (int i = 0; i < MaxLabels; i++)
        {
            if (span.IndexOf('.') < 0) return false;
            if (lookup.TryGetValue(span, out var found))
            {
                info = found;
                matched = span.ToString();
                return true;
            }

            span = span[(span.IndexOf('.') + 1)..];
        }

        return false;
    }

    /// <summary>The indicator for a JA3 or JA3S hash.</summary>
    public bool TryMatchJa3(string hash, out IocInfo info)
    {
        info = null!;
        return !string.IsNullOrEmpty(hash) && _ja3.TryGetValue(hash, out info!);
    }

    /// <summary>The indicator for an ASN ("AS1234").</summary>
    public bool TryMatchAsn(string asn, out IocInfo info)
    {
        info = null!;
        return !string.IsNullOrEmpty(asn) && _asns.TryGetValue(asn, out info!);
    }

    /// <summary>The indicator for an AS number (no allocation: the detection path).</summary>
    public bool TryMatchAsn(uint asn, out IocInfo info) => _asnNumbers.TryGetValue(asn, out info!);

    private void MarkV4Blocks(uint first, int count)
    {
        for (uint b = first; b < first + (uint)count; b++) _v4Blocks[b >> 6] |= 1UL << (int)(b & 63);
    }

    private static IpAddr Mask(IpAddr ip, int bits)
    {
        ulong hi = ip.High, lo = ip.Low;
        if (bits <= 0) return default;
        if (bits < 64)
        {
            hi &= ~0UL << (64 - bits);
            lo = 0;
        }
        else if (bits == 64)
        {
            lo = 0;
        }
        else if (bits < 128)
        {
            lo &= ~0UL << (128 - bits);
        }

        return new IpAddr(hi, lo);
    }

    private static void Put<TKey>(Dictionary<TKey, IocInfo> map, TKey key, IocInfo info)
        where TKey : notnull
    {
        if (map.TryGetValue(key, out var old) && old.ThreatLevel >= info.ThreatLevel) return;
        map[key] = info;
    }
}

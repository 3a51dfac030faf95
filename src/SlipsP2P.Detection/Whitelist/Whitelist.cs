using System.Text;

namespace SlipsP2P.Detection;

/// <summary>
/// Slips' local whitelist (config/whitelist.conf): CSV lines <c>"IoCType","IoCValue","Direction","IgnoreType"</c> with
/// IoCType ip (an address or a CIDR network), domain (subdomains included), organization or mac; Direction
/// src|dst|both; IgnoreType alerts|flows|both. ';' starts a comment; a leading '#' disables an entry and removes
/// an earlier identical one; the last line for a value wins. A bad line becomes a message naming file:line in
/// <see cref="Warnings"/>, never an exception.
/// Domains are matched against the traffic: the IPs a whitelisted domain resolves to in DNS answers (or that carry
/// its name as TLS SNI or HTTP Host) are whitelisted with that domain's entry; see <see cref="Learn"/>.
/// </summary>
public sealed class Whitelist
{
    /// <summary>Longest line read; longer lines are reported and skipped.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Most entries loaded.</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>Most IPs remembered from DNS answers and IP-to-MAC bindings.</summary>
    public const int MaxLearned = 65536;

    /// <summary>Answers looked at per DNS record.</summary>
    public const int MaxAnswersPerRecord = 64;

    /// <summary>Warnings kept (the count goes on in <see cref="WarningCount"/>).</summary>
    public const int MaxWarnings = 100;

    private readonly Dictionary<IpAddr, WhitelistEntry> _ips = new();
    private readonly Dictionary<string, WhitelistEntry> _networks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WhitelistEntry> _domains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WhitelistEntry> _domainLookup = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WhitelistEntry> _macs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WhitelistEntry> _organizations = new(StringComparer.Ordinal);
    private readonly Dictionary<IpAddr, WhitelistEntry> _resolved = new();
    private readonly Dictionary<IpAddr, string> _ipToMac = new();
    private readonly List<string> _warnings = new();
    private (IpPrefix Prefix, WhitelistEntry Entry)[] _prefixes = [];

    private Whitelist(string name) => Name = name;

    /// <summary>An empty whitelist.</summary>
    public static Whitelist Empty => new("(none)");

    /// <summary>The file the whitelist was read from.</summary>
    public string Name { get; }

    /// <summary>Messages about lines that were skipped, each "file:line: reason".</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>All warnings, including those past <see cref="MaxWarnings"/>.</summary>
    public int WarningCount { get; private set; }

    /// <summary>Active entries.</summary>
    public int Count => _ips.Count + _networks.Count + _domains.Count + _macs.Count + _organizations.Count;

    /// <summary>IPs learned from DNS answers, SNI or Host headers for whitelisted domains.</summary>
    public int ResolvedCount => _resolved.Count;

    /// <summary>Learned IPs or MAC bindings not kept because the cap was reached.</summary>
    public long LearnedDropped { get; private set; }

    /// <summary>The active entries.</summary>
    public IEnumerable<WhitelistEntry> Entries =>
        _ips.Values.Concat(_networks.Values).Concat(_domains.Values).Concat(_macs.Values).Concat(_organizations.Values);

    /// <summary>Reads a whitelist file. Throws <see cref="FileNotFoundException"/> with a clear message when it does not exist.</summary>
    public static Whitelist Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"whitelist file not found: {path}", path);
        }

        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Parse(reader, path);
    }

    /// <summary>Parses whitelist text; <paramref name="name"/> names the source in warnings.</summary>
    public static Whitelist Parse(TextReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(name);
        var w = new Whitelist(name);
        var line = new StringBuilder();
        int lineNumber = 0;
        bool tooLong = false;
        var buffer = new char[4096];
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                char c = buffer[i];
                if (c == '\n')
                {
                    lineNumber++;
                    w.ParseLine(line, lineNumber, tooLong);
                    line.Clear();
                    tooLong = false;
                }
                else if (line.Length < MaxLineLength) line.Append(c);
                else tooLong = true;
            }
        }

        if (line.Length > 0 || tooLong) w.ParseLine(line, lineNumber + 1, tooLong);
        w.Rebuild();
        return w;
    }

    /// <summary>
    /// Learns from the traffic what the entries cannot say by themselves: which IPs a whitelisted domain resolved to
    /// (DNS queries and CNAME answers, TLS SNI, HTTP Host), and which MAC an IP uses when MAC entries exist.
    /// Call it for every record, before <see cref="IsRecordWhitelisted"/>.
    /// </summary>
    public void Learn(NetEvent record)
    {
        ArgumentNullException.ThrowIfNull(record);
        switch (record)
        {
            case DnsRecord dns when _domainLookup.Count > 0:
                LearnDns(dns);
                break;
            case TlsRecord tls when _domainLookup.Count > 0 && tls.ServerName.Length > 0:
                if (MatchDomain(tls.ServerName) is { } sni) Remember(tls.Destination, sni);
                break;
            case HttpRecord http when _domainLookup.Count > 0 && http.Host.Length > 0:
                if (MatchDomain(StripPort(http.Host)) is { } host) Remember(http.Destination, host);
                break;
            case FlowRecord flow when _macs.Count > 0 && flow.SourceMac.Length > 0:
                BindMac(flow.Source, flow.SourceMac);
                break;
            case ArpRecord arp when _macs.Count > 0 && arp.SourceMac.Length > 0:
                BindMac(arp.Source, arp.SourceMac);
                break;
        }
    }

    /// <summary>True when the record (a flow or any other record) is from or to an IoC whose entry ignores flows.</summary>
    public bool IsRecordWhitelisted(NetEvent record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Count == 0) return false;
        if (IsWhitelisted(record.Source, WhitelistDirection.Src, WhitelistIgnore.Flows)) return true;
        if (IsWhitelisted(record.Destination, WhitelistDirection.Dst, WhitelistIgnore.Flows)) return true;
        string mac = record switch
        {
            FlowRecord f => f.SourceMac,
            ArpRecord a => a.SourceMac,
            _ => "",
        };
        return mac.Length > 0 && _macs.TryGetValue(NormalizeMac(mac) ?? "", out var e) && e.Covers(WhitelistDirection.Src, WhitelistIgnore.Flows);
    }

    /// <summary>True when the flow is from or to an IoC whose entry ignores flows.</summary>
    public bool IsFlowWhitelisted(FlowRecord flow) => IsRecordWhitelisted(flow);

    /// <summary>
    /// True when the evidence's attacker (in its role: source or destination) or its victim (in the other role) is
    /// covered by an entry that ignores alerts, or its non-IP attacker IoC is a whitelisted domain.
    /// </summary>
    public bool IsEvidenceWhitelisted(Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (Count == 0) return false;
        var attackerRole = evidence.Direction == AttackerDirection.Source ? WhitelistDirection.Src : WhitelistDirection.Dst;
        var victimRole = attackerRole == WhitelistDirection.Src ? WhitelistDirection.Dst : WhitelistDirection.Src;
        if (IsWhitelisted(evidence.Attacker, attackerRole, WhitelistIgnore.Alerts)) return true;
        if (!evidence.Victim.IsNone && IsWhitelisted(evidence.Victim, victimRole, WhitelistIgnore.Alerts)) return true;
        return evidence.AttackerIoc.Length > 0 && MatchDomain(evidence.AttackerIoc) is { } d && d.Covers(attackerRole, WhitelistIgnore.Alerts);
    }

    /// <summary>True when <paramref name="ip"/>, seen in <paramref name="role"/>, is covered for <paramref name="what"/>
    /// by an IP or network entry, a domain it resolved to, or the MAC it uses.</summary>
    public bool IsWhitelisted(IpAddr ip, WhitelistDirection role, WhitelistIgnore what)
    {
        if (ip.IsNone) return false;
        if (_ips.TryGetValue(ip, out var e) && e.Covers(role, what)) return true;
        foreach (var (prefix, entry) in _prefixes)
        {
            if (prefix.Contains(ip) && entry.Covers(role, what)) return true;
        }

        if (_resolved.TryGetValue(ip, out e) && e.Covers(role, what)) return true;
        return _ipToMac.TryGetValue(ip, out var mac) && _macs.TryGetValue(mac, out e) && e.Covers(role, what);
    }

    /// <summary>The entry covering <paramref name="name"/> or one of its parent domains, or null.</summary>
    public WhitelistEntry? MatchDomain(string name)
    {
        if (_domainLookup.Count == 0 || string.IsNullOrEmpty(name)) return null;
        string n = name.Trim().TrimEnd('.').ToLowerInvariant();
        while (n.Length > 0)
        {
            if (_domainLookup.TryGetValue(n, out var e)) return e;
            int dot = n.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0) break;
            n = n[(dot + 1)..];
        }

        return null;
    }

    private void LearnDns(DnsRecord dns)
    {
        var entry = MatchDomain(dns.Query);
        int n = Math.Min(dns.Answers.Count, MaxAnswersPerRecord);
        if (entry is null)
        {
            // A CNAME answer inside a whitelisted domain whitelists the addresses it led to.
            for (int i = 0; i < n && entry is null; i++)
            {
                if (!AddressAnswers.TryGetAddress(dns.Answers, i, out _)) entry = MatchDomain(dns.Answers[i]);
            }
        }

        if (entry is null) return;
        for (int i = 0; i < n; i++)
        {
            if (AddressAnswers.TryGetAddress(dns.Answers, i, out var ip)) Remember(ip, entry);
        }
    }

    private void Remember(IpAddr ip, WhitelistEntry entry)
    {
        if (ip.IsNone) return;
        if (_resolved.Count >= MaxLearned && !_resolved.ContainsKey(ip))
        {
            LearnedDropped++;
            return;
        }

        _resolved[ip] = entry;
    }

    private void BindMac(IpAddr ip, string mac)
    {
        if (ip.IsNone || NormalizeMac(mac) is not { } m) return;
        if (_ipToMac.Count >= MaxLearned && !_ipToMac.ContainsKey(ip))
        {
            LearnedDropped++;
            return;
        }

        _ipToMac[ip] = m;
    }

    private void ParseLine(StringBuilder raw, int lineNumber, bool tooLong)
    {
        if (tooLong)
        {
            Warn(lineNumber, $"line longer than {MaxLineLength} characters, skipped");
            return;
        }

        string text = raw.ToString().Trim().TrimStart('\uFEFF');
        if (text.Length == 0 || text[0] == ';') return;
        bool disabled = text[0] == '#';
        if (disabled) text = text[1..].TrimStart();
        int comment = text.IndexOf(';', StringComparison.Ordinal);
        if (comment >= 0) text = text[..comment].TrimEnd();
        if (text.Length == 0) return;

        var fields = text.Split(',');
        for (int i = 0; i < fields.Length; i++) fields[i] = fields[i].Trim().Trim('"').Trim();
        if (fields[0].Equals("IoCType", StringComparison.OrdinalIgnoreCase)) return;
        if (fields.Length < 4)
        {
            // A disabled line may be any commented-out text: only complain about lines meant to be entries.
            if (!disabled) Warn(lineNumber, $"expected 4 columns \"IoCType\",\"IoCValue\",\"Direction\",\"IgnoreType\", found {fields.Length}");
            return;
        }

        if (fields.Length > 4 && HasExtraColumns(fields))
        {
            if (!disabled) Warn(lineNumber, $"expected 4 columns, found {fields.Length}");
            return;
        }

        if (!TryParseEntry(fields, lineNumber, out var entry, out string? error))
        {
            if (!disabled) Warn(lineNumber, error!);
            return;
        }

        var map = MapFor(entry.Type);
        if (disabled)
        {
            // Slips: a '#' entry removes the same entry (same value, direction and ignore type) loaded earlier.
            if (map.TryGetValue(entry.Value, out var old) && old.Direction == entry.Direction && old.Ignore == entry.Ignore) map.Remove(entry.Value);
            if (entry.Type == WhitelistIocType.Ip && IpAddr.TryParse(entry.Value, out var ip)
                && _ips.TryGetValue(ip, out var oldIp) && oldIp.Direction == entry.Direction && oldIp.Ignore == entry.Ignore)
            {
                _ips.Remove(ip);
            }

            return;
        }

        if (Count >= MaxEntries)
        {
            Warn(lineNumber, $"more than {MaxEntries} entries, the rest are ignored");
            return;
        }

        if (entry.Type == WhitelistIocType.Ip && IpAddr.TryParse(entry.Value, out var single))
        {
            _ips[single] = entry;
            return;
        }

        map[entry.Value] = entry;
    }

    private Dictionary<string, WhitelistEntry> MapFor(WhitelistIocType type) => type switch
    {
        WhitelistIocType.Domain => _domains,
        WhitelistIocType.Mac => _macs,
        WhitelistIocType.Organization => _organizations,
        _ => _networks,
    };

    private bool TryParseEntry(string[] f, int lineNumber, out WhitelistEntry entry, out string? error)
    {
        entry = null!;
        error = null;
        WhitelistIocType type;
        switch (f[0].ToLowerInvariant())
        {
            case "ip": type = WhitelistIocType.Ip; break;
            case "domain": type = WhitelistIocType.Domain; break;
            case "organization": case "organisation": case "org": type = WhitelistIocType.Organization; break;
            case "mac": type = WhitelistIocType.Mac; break;
            default:
                error = $"unknown IoCType '{Clip(f[0])}' (expected ip, domain, organization or mac)";
                return false;
        }

        WhitelistDirection direction;
        switch (f[2].ToLowerInvariant())
        {
            case "src": direction = WhitelistDirection.Src; break;
            case "dst": direction = WhitelistDirection.Dst; break;
            case "both": direction = WhitelistDirection.Both; break;
            default:
                error = $"unknown Direction '{Clip(f[2])}' (expected src, dst or both)";
                return false;
        }

        WhitelistIgnore ignore;
        switch (f[3].ToLowerInvariant())
        {
            case "alerts": ignore = WhitelistIgnore.Alerts; break;
            case "flows": ignore = WhitelistIgnore.Flows; break;
            case "both": ignore = WhitelistIgnore.Both; break;
            default:
                error = $"unknown IgnoreType '{Clip(f[3])}' (expected alerts, flows or both)";
                return false;
        }

        string value = f[1];
        string source = $"{Name}:{lineNumber}";
        switch (type)
        {
            case WhitelistIocType.Ip:
                if (IpAddr.TryParse(value, out var ip))
                {
                    entry = new WhitelistEntry(type, ip.ToString(), direction, ignore, source);
                    return true;
                }

                if (value.Contains('/', StringComparison.Ordinal) && IpPrefix.TryParse(value, out var prefix))
                {
                    entry = new WhitelistEntry(type, prefix.ToString(), direction, ignore, source);
                    return true;
                }

                error = $"'{Clip(value)}' is not an IP address or network";
                return false;
            case WhitelistIocType.Domain:
                string domain = value.TrimEnd('.').ToLowerInvariant();
                if (domain.StartsWith("*.", StringComparison.Ordinal)) domain = domain[2..];
                if (!IsDomain(domain))
                {
                    error = $"'{Clip(value)}' is not a domain name";
                    return false;
                }

                entry = new WhitelistEntry(type, domain, direction, ignore, source);
                return true;
            case WhitelistIocType.Mac:
                if (NormalizeMac(value) is not { } mac)
                {
                    error = $"'{Clip(value)}' is not a MAC address";
                    return false;
                }

                entry = new WhitelistEntry(type, mac, direction, ignore, source);
                return true;
            default:
                string org = value.ToLowerInvariant();
                if (!Organizations.IsKnown(org))
                {
                    error = $"unknown organization '{Clip(value)}' (supported: google, microsoft, apple, facebook, twitter)";
                    return false;
                }

                entry = new WhitelistEntry(type, org, direction, ignore, source);
                return true;
        }
    }

    private void Rebuild()
    {
        var prefixes = new List<(IpPrefix, WhitelistEntry)>();
        foreach (var e in _networks.Values)
        {
            if (IpPrefix.TryParse(e.Value, out var p)) prefixes.Add((p, e));
        }

        _prefixes = prefixes.ToArray();

        // An organization is its domains (and, if ranges were shipped, its networks); a domain line of its own wins.
        foreach (var (d, e) in _domains) _domainLookup[d] = e;
        foreach (var org in _organizations.Values)
        {
            foreach (var d in Organizations.DomainsOf(org.Value)) _domainLookup.TryAdd(d, org);
        }
    }

    private void Warn(int lineNumber, string message)
    {
        WarningCount++;
        if (_warnings.Count < MaxWarnings) _warnings.Add($"{Name}:{lineNumber}: {message}");
    }

    private static bool HasExtraColumns(string[] fields)
    {
        for (int i = 4; i < fields.Length; i++)
        {
            if (fields[i].Length > 0) return true;
        }

        return false;
    }

    private static string Clip(string s) => s.Length > 80 ? s[..80] + "..." : s;

    private static string StripPort(string host)
    {
        int colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(':', StringComparison.Ordinal) == colon ? host[..colon] : host;
    }

    private static bool IsDomain(string d)
    {
        if (d.Length is 0 or > 253 || !d.Contains('.', StringComparison.Ordinal)) return false;
        foreach (var label in d.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
            }
        }

        return true;
    }

    /// <summary>"aa:bb:cc:dd:ee:ff" in lower case from colon- or dash-separated hex, or null.</summary>
    private static string? NormalizeMac(string mac)
    {
        if (mac.Length != 17) return null;
        Span<char> s = stackalloc char[17];
        for (int i = 0; i < 17; i++)
        {
            char c = mac[i];
            if (i % 3 == 2)
            {
                if (c != ':' && c != '-') return null;
                s[i] = ':';
            }
            else
            {
                if (!char.IsAsciiHexDigit(c)) return null;
                s[i] = char.ToLowerInvariant(c);
            }
        }

        return new string(s);
    }
}

using System.Globalization;

namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>
/// Reads IoC files into an <see cref="IocStore"/>: Slips' own CSV format (<c>ioc, threat level, description[, tag]</c>,
/// # comments, optional quotes) and the shapes public feeds come in (one indicator per line, CSVs whose first usable
/// column is the indicator, hosts files, "ip count" lists, URLs whose host is the indicator).
/// </summary>
public static class IocFileReader
{
    /// <summary>Largest IoC file read, in bytes.</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    /// <summary>Longest line considered, in characters (longer lines are skipped and reported).</summary>
    public const int MaxLineLength = 8192;

    /// <summary>
    /// Reads <paramref name="path"/> into <paramref name="store"/>; <paramref name="defaultLevel"/> applies where a line
    /// has no level. Returns indicators added; bad lines make one warning (file, count, first bad line) in <paramref name="warnings"/>.
    /// <paramref name="ja3"/> reads 32-hex-digit hashes as JA3 indicators.
    /// </summary>
    public static int Read(string path, IocStore store, ThreatLevel defaultLevel, string sourceName, bool ja3, IList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(warnings);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            warnings.Add($"{path}: IoC file not found");
            return 0;
        }

        if (info.Length > MaxFileBytes)
        {
            warnings.Add($"{path}: IoC file larger than {MaxFileBytes} bytes, not read");
            return 0;
        }

        using var reader = new StreamReader(path);
        return Read(reader, path, store, defaultLevel, sourceName, ja3, warnings);
    }

    /// <summary>Reads IoC lines from <paramref name="reader"/>; <paramref name="name"/> is used in messages.</summary>
    public static int Read(TextReader reader, string name, IocStore store, ThreatLevel defaultLevel, string sourceName, bool ja3, IList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(warnings);
        var problems = new LineProblems(name, "IoC file");
        int added = 0, lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length > MaxLineLength)
            {
                problems.Bad(lineNo, $"longer than {MaxLineLength} characters");
                continue;
            }

            var t = line.AsSpan().Trim();
            if (t.IsEmpty || t[0] is '#' or ';' || t.StartsWith("//")) continue;
            var fields = line.Split([',', '\t', ' ', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length == 0) continue;
            var level = defaultLevel;
            string description = sourceName;
            int levelField = -1;
            for (int i = 1; i < fields.Length && i < 4; i++)
            {
                if (ThreatLevels.TryParse(Unquote(fields[i]), out var l) && !int.TryParse(Unquote(fields[i]), out _))
                {
                    level = l;
                    levelField = i;
                    break;
                }
            }

            if (levelField > 0 && levelField + 1 < fields.Length)
            {
                // Slips' own files: the description is everything after the level, up to an optional tag.
                description = string.Join(' ', fields[(levelField + 1)..]).Trim('"', ' ');
            }

            var ioc = new IocInfo(sourceName, level, description);
            bool done = false;
            foreach (var raw in fields)
            {
                string f = Unquote(raw);
                if (f.Length == 0 || f is "0.0.0.0" or "127.0.0.1" or "::" or "::1" or "localhost") continue;
                if (TryAdd(f, store, ioc, ja3))
                {
                    added++;
                    done = true;
                    break;
                }
            }

            if (!done) problems.Bad(lineNo, $"no IP, range, domain{(ja3 ? ", JA3" : "")} or ASN found");
        }

        problems.Report(warnings);
        return added;
    }

    /// <summary>Adds one indicator written as text; false when the text is none of the known kinds.</summary>
    public static bool TryAdd(string text, IocStore store, IocInfo info, bool ja3)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(store);
        if (ja3) return store.AddJa3(text, info);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (text.Contains("://", StringComparison.Ordinal))
        {
            return Uri.TryCreate(text, UriKind.Absolute, out var uri) && TryAdd(uri.Host, store, info, false);
        }

        if (slash > 0)
        {
            if (IpAddr.TryParse(text.AsSpan(0, slash), out var net)
                && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix)
                && prefix >= 0 && prefix <= (net.IsV4 ? 32 : 128))
            {
                store.AddRange(net, prefix, info);
                return true;
            }

            return false;
        }

        if (IpAddr.TryParse(text, out var ip))
        {
            // IPAddress.TryParse accepts "1" or "1.2" as IPv4; only dotted quads and IPv6 count here.
            if (ip.IsV4 && text.Count(c => c == '.') != 3) return false;
            store.AddIp(ip, info);
            return true;
        }

        if (text.Length > 2 && text.StartsWith("AS", StringComparison.OrdinalIgnoreCase) && char.IsAsciiDigit(text[2])) return store.AddAsn(text, info);
        if (IsDomain(text)) return store.AddDomain(text, info);
        return false;
    }

    private static bool IsDomain(string s)
    {
        if (s.Length < 3 || s.Length > IocStore.MaxDomainLength || !s.Contains('.', StringComparison.Ordinal)) return false;
        bool letter = false;
        foreach (char c in s)
        {
            if (char.IsAsciiLetter(c)) letter = true;
            else if (!(char.IsAsciiDigit(c) || c is '-' or '.' or '_' or '*')) return false;
        }

        return letter && !s.StartsWith('.') && !s.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);
    }

    private static string Unquote(string s) => s.Trim().Trim('"', '\'').Trim();
}

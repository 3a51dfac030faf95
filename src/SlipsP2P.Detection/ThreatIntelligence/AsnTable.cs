using System.Globalization;
using System.IO.Compression;

namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>
/// IP-to-ASN mapping from tables in the ip2asn TSV format (iptoasn.com's ip2asn-v4.tsv / ip2asn-v6.tsv, optionally
/// gzipped): <c>range_start TAB range_end TAB AS_number TAB country_code TAB AS_description</c>, one range a line.
/// Ranges are held sorted in arrays (IPv4 and IPv6 in one 128-bit space, IPv4 as mapped addresses); a lookup is a
/// binary search, O(log n). Built once, then read-only: safe to share between the detection thread and a refresher.
/// </summary>
public sealed class AsnTable
{
    /// <summary>Most ranges held (the full IPv4 and IPv6 tables have about 800 000 together).</summary>
    public const int MaxRanges = 4_000_000;

    /// <summary>Longest line read, in characters.</summary>
    public const int MaxLineLength = 1024;

    private readonly UInt128[] _starts;
    private readonly UInt128[] _ends;
    private readonly uint[] _asns;

    private AsnTable(UInt128[] starts, UInt128[] ends, uint[] asns)
    {
        _starts = starts;
        _ends = ends;
        _asns = asns;
    }

    /// <summary>A table with no ranges.</summary>
    public static AsnTable Empty { get; } = new([], [], []);

    /// <summary>Ranges held.</summary>
    public int Count => _starts.Length;

    /// <summary>The AS number announcing <paramref name="ip"/>; false when no range holds it (or its AS is 0, "not routed").</summary>
    public bool TryLookup(IpAddr ip, out uint asn)
    {
        asn = 0;
        if (_starts.Length == 0) return false;
        var key = Key(ip);
        // The last range starting at or before the address is the only one that can hold it (ranges do not overlap
        // after Build).
        int i = Array.BinarySearch(_starts, key);
        if (i < 0) i = ~i - 1;
        if (i < 0 || key > _ends[i]) return false;
        asn = _asns[i];
        return asn != 0;
    }

    /// <summary>Collects ranges from files and builds the table.</summary>
    public sealed class Builder
    {
        private readonly List<(UInt128 Start, UInt128 End, uint Asn)> _ranges = new();

        /// <summary>Ranges collected so far.</summary>
        public int Count => _ranges.Count;

        /// <summary>Adds one range (start and end inclusive, same family); false when it is not a valid range.</summary>
        public bool Add(IpAddr start, IpAddr end, uint asn)
        {
            if (start.IsV4 != end.IsV4) return false;
            var s = Key(start);
            var e = Key(end);
            if (e < s || _ranges.Count >= MaxRanges) return false;
            _ranges.Add((s, e, asn));
            return true;
        }

        /// <summary>
        /// Reads an ip2asn TSV file (gzip detected by its magic bytes). Bad lines are counted into one warning naming
        /// the file, the count and the first bad line. Returns the ranges added.
        /// </summary>
        public int ReadFile(string path, IList<string> warnings)
        {
            ArgumentNullException.ThrowIfNull(path);
            ArgumentNullException.ThrowIfNull(warnings);
            try
            {
                using var file = File.OpenRead(path);
                Span<byte> magic = stackalloc byte[2];
                int n = file.Read(magic);
                file.Position = 0;
                using Stream body = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
                using var reader = new StreamReader(body);
                return Read(reader, path, warnings);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                warnings.Add($"{path}: cannot read the IP-to-ASN table: {e.Message}");
                return 0;
            }
        }

        /// <summary>Reads ip2asn TSV lines from <paramref name="reader"/>; <paramref name="name"/> names it in the warning.</summary>
        public int Read(TextReader reader, string name, IList<string> warnings)
        {
            ArgumentNullException.ThrowIfNull(reader);
            ArgumentNullException.ThrowIfNull(warnings);
            var problems = new LineProblems(name, "IP-to-ASN table");
            int added = 0;
            long lineNo = 0;
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                lineNo++;
                if (line.Length == 0 || line[0] == '#') continue;
                if (line.Length > MaxLineLength)
                {
                    problems.Bad(lineNo, $"longer than {MaxLineLength} characters");
                    continue;
                }

                if (TryParseLine(line, out var start, out var end, out uint asn) && Add(start, end, asn)) added++;
                else if (_ranges.Count >= MaxRanges)
                {
                    warnings.Add($"{name}: more than {MaxRanges} ranges, the rest ignored");
                    break;
                }
                else problems.Bad(lineNo, "expected range_start, range_end, AS number, country, description separated by tabs");
            }

            problems.Report(warnings);
            return added;
        }

        /// <summary>The table: sorted by start; where ranges overlap, the later start wins from there on.</summary>
        public AsnTable Build()
        {
            if (_ranges.Count == 0) return Empty;
            _ranges.Sort(static (a, b) => a.Start.CompareTo(b.Start));
            var starts = new List<UInt128>(_ranges.Count);
            var ends = new List<UInt128>(_ranges.Count);
            var asns = new List<uint>(_ranges.Count);
            foreach (var (s, e, asn) in _ranges)
            {
                int last = ends.Count - 1;
                if (last >= 0 && ends[last] >= s)
                {
                    // Overlap (tables from two sources): cut the earlier range short so each address has one owner.
                    if (s == starts[last])
                    {
                        starts.RemoveAt(last);
                        ends.RemoveAt(last);
                        asns.RemoveAt(last);
                    }
                    else
                    {
                        ends[last] = s - 1;
                    }
                }

                starts.Add(s);
                ends.Add(e);
                asns.Add(asn);
            }

            return new AsnTable([.. starts], [.. ends], [.. asns]);
        }

        private static bool TryParseLine(ReadOnlySpan<char> line, out IpAddr start, out IpAddr end, out uint asn)
        {
            start = end = default;
            asn = 0;
            int t1 = line.IndexOf('\t');
            if (t1 <= 0) return false;
            var rest = line[(t1 + 1)..];
            int t2 = rest.IndexOf('\t');
            if (t2 <= 0) return false;
            var asnText = rest[(t2 + 1)..];
            int t3 = asnText.IndexOf('\t');
            if (t3 >= 0) asnText = asnText[..t3];
            if (asnText.StartsWith("AS", StringComparison.OrdinalIgnoreCase)) asnText = asnText[2..];
            return IpAddr.TryParse(line[..t1], out start) && IpAddr.TryParse(rest[..t2], out end)
                   && uint.TryParse(asnText, NumberStyles.None, CultureInfo.InvariantCulture, out asn);
        }
    }

    private static UInt128 Key(IpAddr ip) => new(ip.High, ip.Low);
}

using System.Text;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Ingest.Pcap;

namespace SlipsP2P.Ingest;

/// <summary>
/// Opens an input by what it contains, not by its name: pcap/pcapng magics, the nfdump magic, Zeek TSV headers,
/// Zeek or Suricata JSON, an Argus header line, or a directory of Zeek logs. "-" is standard input and needs the
/// input type (argus, zeek or suricata).
/// </summary>
public static class InputDetector
{
    private const int SniffBytes = 8192;

    /// <summary>The input types accepted by <see cref="Open"/>.</summary>
    public static IReadOnlyList<string> InputTypes { get; } = ["pcap", "zeek", "argus", "suricata", "nfdump"];

    /// <summary>
    /// Opens <paramref name="path"/> (a file, a Zeek directory, or "-" for standard input).
    /// </summary>
    /// <param name="path">What the user named.</param>
    /// <param name="inputType">pcap, zeek, argus, suricata or nfdump to skip detection; required for "-".</param>
    /// <param name="options">Analysis options (the capture reader uses the inactivity timeouts).</param>
    /// <param name="warnings">Where to say when the given type disagrees with the content.</param>
    /// <exception cref="InputException">The path does not exist, is empty, or holds nothing this program reads.</exception>
    public static IEventSource Open(string path, string? inputType, AnalysisOptions options, TextWriter? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        string? type = inputType?.Trim().ToLowerInvariant();
        if (type is { Length: 0 }) type = null;
        if (type is not null && !InputTypes.Contains(type))
        {
            throw new InputException($"{path}: unknown input type '{inputType}' (expected one of {string.Join(", ", InputTypes)})");
        }

        if (path == "-")
        {
            var stdin = Console.OpenStandardInput();
            return type switch
            {
                "argus" => new ArgusSource(stdin, "-"),
                "zeek" => new ZeekLogSource(stdin, "-"),
                "suricata" => new SuricataSource(stdin, "-"),
                "pcap" => PcapSource.FromStream(stdin, options),
                _ => throw new InputException("-: reading standard input needs the input type: argus, zeek, suricata or pcap"),
            };
        }

        if (Directory.Exists(path))
        {
            if (type is not null and not "zeek") warnings?.WriteLine($"{path}: a directory is read as Zeek logs, not as {type}");
            return new ZeekLogSource(path);
        }

        if (!File.Exists(path)) throw new InputException($"{path}: no such file or directory");

        byte[] head = new byte[SniffBytes];
        int n;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot be read: {e.Message}", e);
        }

        if (n == 0) throw new InputException($"{path}: the file is empty");
        string detected = Detect(head.AsSpan(0, n));
        if (type is not null && type != detected && detected != "unknown")
        {
            warnings?.WriteLine($"{path}: the content looks like {detected}; reading it as {type} as asked");
        }

        string kind = type ?? detected;
        return kind switch
        {
            "pcap" => new PcapSource(path, options),
            "zeek" => new ZeekLogSource(path),
            "argus" => new ArgusSource(path),
            "suricata" => new SuricataSource(path),
            "nfdump" => new NfdumpSource(path),
            _ => throw new InputException($"{path}: unknown input format (first bytes: {FieldText.Hex(head.AsSpan(0, Math.Min(n, 16)))}); " +
                                          "expected a pcap/pcapng capture, Zeek logs (TSV or JSON), an Argus binetflow, Suricata eve.json or an nfdump file"),
        };
    }

    /// <summary>
    /// The kind of input the first bytes show: pcap, zeek, argus, suricata, nfdump, or unknown. Note pcapng counts as
    /// pcap (one reader reads both).
    /// </summary>
    public static string Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 4)
        {
            uint m = (uint)(head[0] << 24 | head[1] << 16 | head[2] << 8 | head[3]);
            if (m is 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 or 0x0A0D0D0A) return "pcap";
        }

        if (head.Length >= 2 && head[..2].SequenceEqual(NfdumpSource.Magic)) return "nfdump";

        var text = head;
        if (text.StartsWith("\xEF\xBB\xBF"u8)) text = text[3..];
        while (!text.IsEmpty && (text[0] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) text = text[1..];
        int nl = text.IndexOf((byte)'\n');
        var first = nl >= 0 ? text[..nl] : text;
        if (first.StartsWith("#separator"u8) || first.StartsWith("#fields"u8)) return "zeek";
        if (!first.IsEmpty && first[0] == (byte)'{')
        {
            if (first.IndexOf("\"event_type\""u8) >= 0) return "suricata";
            if (first.IndexOf("\"ts\""u8) >= 0
                && (first.IndexOf("\"uid\""u8) >= 0 || first.IndexOf("\"id.orig_h\""u8) >= 0 || first.IndexOf("\"_path\""u8) >= 0
                    || first.IndexOf("\"note\""u8) >= 0 || first.IndexOf("\"operation\""u8) >= 0))
            {
                return "zeek";
            }

            return "unknown";
        }

        string upper = Encoding.ASCII.GetString(first.Length > 4096 ? first[..4096] : first).ToUpperInvariant();
        if ((upper.Contains("STARTTIME", StringComparison.Ordinal) || upper.Contains("SRCADDR", StringComparison.Ordinal))
            && (upper.Contains(',', StringComparison.Ordinal) || upper.Contains('\t', StringComparison.Ordinal)))
        {
            return "argus";
        }

        return "unknown";
    }
}

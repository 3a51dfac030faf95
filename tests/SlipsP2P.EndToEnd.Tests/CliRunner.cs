using System.Globalization;
using System.Text;
using System.Text.Json;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>One object of alerts.json: an evidence ("Event") or an alert ("Incident").</summary>
/// <param name="Status">IDMEFv2 Status: "Event" for evidence, "Incident" for alerts.</param>
/// <param name="EvidenceType">The Note's evidence_type (evidence only), else null.</param>
/// <param name="SourceIp">Source[0].IP: the attacker / the profile.</param>
/// <param name="ThreatLevel">The Note's threat_level, when present.</param>
/// <param name="TimeWindow">The Note's timewindow, when present.</param>
/// <param name="Description">IDMEFv2 Description, when present.</param>
/// <param name="Line">1-based line number in alerts.json.</param>
internal sealed record AlertRecord(string Status, string? EvidenceType, string SourceIp, string? ThreatLevel, int? TimeWindow, string? Description, int Line)
{
    public bool IsEvidence => Status == "Event";

    public bool IsAlert => Status == "Incident";

    public override string ToString() =>
        IsAlert ? $"alert from {SourceIp} (tw {TimeWindow})" : $"{EvidenceType} from {SourceIp} (tw {TimeWindow}): {Description}";
}

/// <summary>What one run of <c>./slips</c> produced.</summary>
internal sealed class CliResult
{
    public required int ExitCode { get; init; }

    public required string Stdout { get; init; }

    public required string Stderr { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>Every object of alerts.json, in file order (empty when the file is absent or empty).</summary>
    public required IReadOnlyList<AlertRecord> Records { get; init; }

    /// <summary>The evidence types raised with <paramref name="sourceIp"/> as the attacker.</summary>
    public HashSet<string> EvidenceTypesFrom(string sourceIp)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in Records)
        {
            if (r.IsEvidence && r.SourceIp == sourceIp && r.EvidenceType is not null) set.Add(r.EvidenceType);
        }

        return set;
    }

    /// <summary>The alerts (Incidents) on <paramref name="sourceIp"/>'s profile.</summary>
    public List<AlertRecord> AlertsOn(string sourceIp) => Records.Where(r => r.IsAlert && r.SourceIp == sourceIp).ToList();

    /// <summary>Removes the output directory; tests call it last, so a failed test leaves its output for a look.</summary>
    public void DeleteOutput()
    {
        if (Directory.Exists(OutputDirectory)) Directory.Delete(OutputDirectory, recursive: true);
    }

    /// <summary>A short account of the run for assertion messages.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"exit {ExitCode}, {Records.Count} records in {OutputDirectory}/alerts.json");
        foreach (var r in Records.Take(40)) sb.Append("\n  ").Append(r);
        if (Records.Count > 40) sb.Append("\n  ...");
        if (Stderr.Length > 0) sb.Append("\nstderr: ").Append(Stderr.Length > 2000 ? Stderr[..2000] : Stderr);
        return sb.ToString();
    }
}

/// <summary>
/// Runs the repository's <c>./slips</c> launcher (which builds the CLI on first use) and reads what it wrote.
/// The contract: <c>./slips -f PATH -o OUTDIR [-w SECONDS] [--input-type argus|zeek|suricata]</c>, exit 0 when analysed,
/// OUTDIR/alerts.json with one IDMEFv2 object per line whose Note is a JSON object with evidence_type, threat_level,
/// confidence and timewindow.
/// </summary>
internal static class CliRunner
{
    /// <summary>For one analysis; a rebuild by the launcher (sources changed meanwhile) fits in it too.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The largest alerts.json this helper reads (a bound before reading, as for any input).</summary>
    private const long MaxAlertsJsonBytes = 64L * 1024 * 1024;

    /// <summary>The ./slips launcher (<see cref="Launcher.SlipsPath"/>).</summary>
    public static string SlipsPath => Launcher.SlipsPath;

    /// <summary>A fresh, empty directory under the system temp folder for one test's output.</summary>
    public static string NewTempDirectory(string tag)
    {
        string dir = Path.Combine(Path.GetTempPath(), "slips-e2e-" + tag + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Runs <c>./slips -f <paramref name="input"/> -o <paramref name="outputDirectory"/></c> plus <paramref name="extraArguments"/>,
    /// with <paramref name="stdin"/> as standard input when given, and parses alerts.json.
    /// </summary>
    public static CliResult Analyze(string input, string outputDirectory, IEnumerable<string>? extraArguments = null, string? stdin = null, TimeSpan? timeout = null)
    {
        EnsureBuilt();
        var args = new List<string> { "-f", input, "-o", outputDirectory };
        if (extraArguments is not null) args.AddRange(extraArguments);
        var (exit, stdout, stderr) = Requires.Run(SlipsPath, JoinArguments(args), timeout ?? DefaultTimeout, stdin);
        string alertsJson = Path.Combine(outputDirectory, "alerts.json");
        var records = File.Exists(alertsJson) ? ReadAlertsJson(alertsJson) : [];
        return new CliResult { ExitCode = exit, Stdout = stdout, Stderr = stderr, OutputDirectory = outputDirectory, Records = records };
    }

    /// <summary>Builds the CLI through the launcher unless it is built already (<see cref="Launcher.EnsureBuilt"/>).</summary>
    public static void EnsureBuilt() => Launcher.EnsureBuilt();

    /// <summary>Parses alerts.json (one IDMEFv2 JSON object per line); a malformed line fails the test, naming the line.</summary>
    public static List<AlertRecord> ReadAlertsJson(string path)
    {
        var info = new FileInfo(path);
        Assert.True(info.Length <= MaxAlertsJsonBytes, $"{path}: {info.Length} bytes, more than this helper reads ({MaxAlertsJsonBytes})");
        var records = new List<AlertRecord>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            records.Add(ParseLine(line, path, lineNumber));
        }

        return records;
    }

    private static AlertRecord ParseLine(string line, string path, int lineNumber)
    {
        string where = $"{path}:{lineNumber}";
        using (var doc = ParseJson(line, where))
        {
            var root = doc.RootElement;
            Assert.True(root.ValueKind == JsonValueKind.Object, $"{where}: not a JSON object");
            string status = RequireString(root, "Status", where);
            Assert.True(status is "Event" or "Incident", $"{where}: Status '{status}' is neither Event nor Incident");
            Assert.True(root.TryGetProperty("Source", out var source) && source.ValueKind == JsonValueKind.Array && source.GetArrayLength() > 0,
                $"{where}: no Source array");
            string ip = RequireString(source[0], "IP", where + " Source[0]");

            string? type = null, threat = null, description = null;
            int? tw = null;
            if (root.TryGetProperty("Description", out var d) && d.ValueKind == JsonValueKind.String) description = d.GetString();
            if (root.TryGetProperty("Note", out var noteText) && noteText.ValueKind == JsonValueKind.String)
            {
                using var note = ParseJson(noteText.GetString()!, where + " Note");
                var n = note.RootElement;
                if (n.TryGetProperty("evidence_type", out var t) && t.ValueKind == JsonValueKind.String) type = t.GetString();
                if (n.TryGetProperty("threat_level", out var l) && l.ValueKind == JsonValueKind.String) threat = l.GetString();
                if (n.TryGetProperty("timewindow", out var w) && w.ValueKind == JsonValueKind.Number) tw = w.GetInt32();
                if (status == "Event") Assert.True(n.TryGetProperty("confidence", out _), $"{where}: evidence without a Note.confidence");
            }

            if (status == "Event")
            {
                Assert.True(type is not null, $"{where}: evidence without a Note.evidence_type");
                Assert.True(threat is not null, $"{where}: evidence without a Note.threat_level");
                Assert.True(tw is not null, $"{where}: evidence without a Note.timewindow");
            }
            else
            {
                Assert.True(root.TryGetProperty("CorrelID", out var correl) && correl.ValueKind == JsonValueKind.Array && correl.GetArrayLength() > 0,
                    $"{where}: alert without CorrelID");
            }

            return new AlertRecord(status, type, ip, threat, tw, description, lineNumber);
        }
    }

    private static JsonDocument ParseJson(string text, string where)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            Assert.Fail($"{where}: not JSON: {ex.Message}");
            throw;
        }
    }

    private static string RequireString(JsonElement e, string name, string where)
    {
        Assert.True(e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String, $"{where}: no string {name}");
        return v.GetString()!;
    }

    /// <summary>
    /// Quotes arguments for <see cref="System.Diagnostics.ProcessStartInfo.Arguments"/>, which .NET splits by the
    /// Windows command-line rules on every platform: backslashes are literal except in a run before a double quote.
    /// </summary>
    public static string JoinArguments(IEnumerable<string> args)
    {
        var sb = new StringBuilder();
        foreach (string a in args)
        {
            if (sb.Length > 0) sb.Append(' ');
            if (a.Length > 0 && a.AsSpan().IndexOfAny(" \t\n\"'") < 0)
            {
                sb.Append(a);
                continue;
            }

            sb.Append('"');
            int backslashes = 0;
            foreach (char c in a)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }

                // A run of backslashes before a quote is doubled, and the quote itself escaped.
                sb.Append('\\', c == '"' ? (backslashes * 2) + 1 : backslashes);
                sb.Append(c);
                backslashes = 0;
            }

            sb.Append('\\', backslashes * 2).Append('"');
        }

        return sb.ToString();
    }
}

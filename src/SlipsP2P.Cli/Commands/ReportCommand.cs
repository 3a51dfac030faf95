using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using SlipsP2P.Cli.Configuration;
using SlipsP2P.Core;
using SlipsP2P.Detection;
using SlipsP2P.Detection.Detectors.HttpsAnomaly;
using SlipsP2P.Ingest;

namespace SlipsP2P.Cli.Commands;

/// <summary>
/// <c>slips report https HOST -f INPUT</c>: runs the HTTPS anomaly detector over an input and writes a self-contained
/// HTML page (no scripts, no remote assets) with the host's baselines, server names, JA3 fingerprints and anomalies.
/// </summary>
internal static class ReportCommand
{
    public static Command Build()
    {
        var report = new Command("report", "Offline reports.");
        var https = new Command("https", "HTML report of one host's HTTPS baseline and anomalies.");
        var host = new Argument<string>("HOST") { Description = "The host's IP address." };
        var input = new Option<string>("--file", "-f") { Description = "The input (pcap, Zeek dir, flow file).", Required = true, HelpName = "PATH" };
        var output = new Option<string?>("--output", "-o") { Description = "The HTML file (default https-HOST.html).", HelpName = "FILE" };
        https.Arguments.Add(host);
        https.Options.Add(input);
        https.Options.Add(output);
        https.SetAction(parse =>
        {
            if (!IpAddr.TryParse(parse.GetValue(host), out var ip))
            {
                Console.Error.WriteLine($"slips report https: '{parse.GetValue(host)}' is not an IP address");
                return ExitCodes.UsageError;
            }

            var warnings = new List<string>();
            AnalysisOptions options;
            try
            {
                options = SlipsConfig.Load(Analysis.ResolveInHome("config/slips.yaml"), true, [], warnings);
            }
            catch (ConfigException e)
            {
                Console.Error.WriteLine("slips: " + e.Message);
                return ExitCodes.UsageError;
            }

            var detector = new HttpsAnomalyDetector();
            string path = parse.GetValue(input)!;
            try
            {
                using var source = InputDetector.Open(path, null, options, Console.Error);
                var pipeline = new AnalysisPipeline(options, NullSink.Instance, [detector]);
                source.Run(pipeline, CancellationToken.None);
                pipeline.Finish();
            }
            catch (InputException e)
            {
                Console.Error.WriteLine("slips: " + e.Message);
                return ExitCodes.InputError;
            }

            string file = parse.GetValue(output) ?? $"https-{ip.ToString().Replace(':', '_')}.html";
            detector.Hosts.TryGetValue(ip, out var baseline);
            try
            {
                File.WriteAllText(file, Html(ip, path, baseline, options.HttpsAnomaly));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"slips report https: {file}: {e.Message}");
                return ExitCodes.InputError;
            }

            Console.Out.WriteLine(baseline is null
                ? $"{file}: {ip} made no HTTPS traffic in {path}"
                : $"{file}: {baseline.Anomalies.Count} anomalies, {baseline.BytesBaseline.Count} flows");
            return ExitCodes.Ok;
        });
        report.Subcommands.Add(https);
        return report;
    }

    internal static string Html(IpAddr ip, string input, HostBaseline? b, HttpsAnomalyOptions o)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        static string N(double v) => Math.Round(v, 3).ToString(CultureInfo.InvariantCulture);
        static string T(double ts) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Clamp(ts * 1000, -62135596800000d, 253402300799000d))
            .ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>HTTPS baseline of ").Append(E(ip.ToString())).Append("</title>");
        sb.Append("<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;text-align:left}")
          .Append(".bar{background:#c33;height:.8em;display:inline-block}</style></head><body>");
        sb.Append("<h1>HTTPS baseline of ").Append(E(ip.ToString())).Append("</h1><p>Input: ").Append(E(input)).Append("</p>");
        if (b is null)
        {
            sb.Append("<p>This host made no established HTTPS (TCP/443) connection and no TLS handshake in the input.</p></body></html>");
            return sb.ToString();
        }

        sb.Append("<p>First seen ").Append(T(b.FirstSeen)).Append(" UTC; training ").Append(N(o.TrainingHours)).Append(" h; flow z threshold ")
          .Append(N(o.FlowZScoreThreshold)).Append(", hourly ").Append(N(o.HourlyZScoreThreshold)).Append(".</p>");
        sb.Append("<h2>Baselines</h2><table><tr><th>feature</th><th>observations</th><th>mean</th><th>std dev</th><th>typical value</th></tr>");
        Row(sb, "bytes per flow (log)", b.BytesBaseline, true);
        Row(sb, "duration per flow (log s)", b.DurationBaseline, true);
        Row(sb, "HTTPS flows per hour", b.HourlyFlowsBaseline, false);
        Row(sb, "bytes per hour (log)", b.HourlyBytesBaseline, true);
        sb.Append("</table>");
        sb.Append("<h2>Server names (").Append(b.ServerNames.Count).Append(")</h2><p>");
        foreach (var n in b.ServerNames.OrderBy(x => x, StringComparer.Ordinal)) sb.Append(E(n)).Append("<br>");
        sb.Append("</p><h2>JA3 fingerprints (").Append(b.Ja3.Count).Append(")</h2><p>");
        foreach (var j in b.Ja3.OrderBy(x => x, StringComparer.Ordinal)) sb.Append("<code>").Append(E(j)).Append("</code><br>");
        sb.Append("</p><h2>Anomalies (").Append(b.Anomalies.Count).Append(")</h2>");
        if (b.Anomalies.Count == 0) sb.Append("<p>None.</p>");
        else
        {
            sb.Append("<table><tr><th>time (UTC)</th><th>destination</th><th>confidence</th><th>reasons</th></tr>");
            foreach (var a in b.Anomalies)
            {
                sb.Append("<tr><td>").Append(T(a.Timestamp)).Append("</td><td>").Append(E(a.Destination.ToString())).Append("</td><td><span class=\"bar\" style=\"width:")
                  .Append((int)(a.Confidence * 100)).Append("px\"></span> ").Append(N(a.Confidence)).Append("</td><td>").Append(E(a.Description)).Append("</td></tr>");
            }

            sb.Append("</table>");
        }

        sb.Append("</body></html>");
        return sb.ToString();

        static void Row(StringBuilder sb, string name, RunningStats s, bool log)
        {
            sb.Append("<tr><td>").Append(name).Append("</td><td>").Append(s.Count).Append("</td><td>").Append(N(s.Mean)).Append("</td><td>").Append(N(s.StdDev))
              .Append("</td><td>").Append(log ? N(Math.Exp(s.Mean) - 1) : N(s.Mean)).Append("</td></tr>");
        }
    }

    private sealed class NullSink : IAlertSink
    {
        public static readonly NullSink Instance = new();

        public void OnEvidence(Evidence evidence)
        {
        }

        public void OnAlert(Alert alert)
        {
        }
    }
}

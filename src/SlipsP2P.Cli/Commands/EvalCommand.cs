using System.CommandLine;
using System.Text;
using SlipsP2P.Cli.Configuration;
using SlipsP2P.Core;
using SlipsP2P.Detection;
using SlipsP2P.Ingest;

namespace SlipsP2P.Cli.Commands;

/// <summary>
/// <c>slips eval</c>: runs the detectors over Slips' datasets and the project's captures and prints the detection
/// quality table (Markdown): per input the expected evidence types, those found, those missed, and the unexpected
/// evidence and alerts. The expectations are the detections Slips' own tests and dataset notes name.
/// </summary>
internal static class EvalCommand
{
    /// <summary>One evaluated input: a path under the datasets or samples folder and the evidence types it should give.</summary>
    internal sealed record Case(string Input, bool Benign, string[] Expected, string Note);

    /// <summary>What a run gave.</summary>
    internal sealed record Outcome(Case Case, string? Error, SortedSet<string> Found, SortedSet<string> Missing, SortedSet<string> Unexpected, int Alerts, long Records);

    internal static readonly Case[] s_cases =
    [
        new("datasets:test14-malicious-zeek-dir", false, [EvidenceTypes.MultipleReconnectionAttempts, EvidenceTypes.BadSmtpLogin, EvidenceTypes.SmtpLoginBruteforce], ""),
        // test9's smtp.log is test14's (the same 4 refused logins to 80.75.42.226).
        new("datasets:test9-mixed-zeek-dir", false, [EvidenceTypes.NonHttpPort80Connection, EvidenceTypes.BadSmtpLogin, EvidenceTypes.SmtpLoginBruteforce], ""),
        new("datasets:test10-mixed-zeek-dir", false, [EvidenceTypes.NonSslPort443Connection, EvidenceTypes.HighEntropyDnsAnswer], ""),
        new("datasets:test15-malicious-zeek-dir", false, [EvidenceTypes.IncompatibleCn, EvidenceTypes.MaliciousJa3], ""),
        new("datasets:test16-malicious-zeek-dir", false, [EvidenceTypes.ArpOutsideLocalnet, EvidenceTypes.UnsolicitedArp], ""),
        new("datasets:test8-malicious.pcap", false, [EvidenceTypes.ArpScan], ""),
        new("datasets:test5-mixed.binetflow", false, [EvidenceTypes.ThreatIntelligenceToBlacklistedIp, EvidenceTypes.LongConnection], ""),
        new("datasets:test7-malicious.pcap", false, [EvidenceTypes.HorizontalPortScan], "telnet scan: no session reaches a login prompt, so no LOGIN"),
        new("datasets:test13-malicious-dhcpscan-zeek-dir", false, [EvidenceTypes.DhcpScan], ""),
        new("datasets:test12-icmp-portscan.pcap", false, [EvidenceTypes.IcmpAddressScan], ""),
        new("datasets:test3-mixed.binetflow", false, [EvidenceTypes.HorizontalPortScan], ""),
        new("datasets:test4-malicious.binetflow", false, [EvidenceTypes.HorizontalPortScan], ""),
        // test11: 10.8.0.69 probes ports 900-999 and more of 14.1.11.113 (S0 each): a vertical scan.
        new("datasets:test11-portscan.binetflow", false, [EvidenceTypes.VerticalPortScan], ""),
        new("datasets:test2-malicious.binetflow", false, [EvidenceTypes.LongConnection], ""),
        new("datasets:test19-malicious-ssh/malicious-ssh-bruteforce.pcap", false, [EvidenceTypes.PasswordGuessing], ""),
        new("datasets:port-scans/horizontal/conn.log", false, [EvidenceTypes.HorizontalPortScan], ""),
        new("datasets:port-scans/vertical/conn.log", false, [EvidenceTypes.VerticalPortScan], ""),
        new("datasets:test1-malicious.nfdump", true, [], "Slips' test: not malicious"),
        new("samples:benign.pcap", true, [], ""),
        new("samples:scan.pcap", false, [EvidenceTypes.VerticalPortScan, EvidenceTypes.HorizontalPortScan, EvidenceTypes.IcmpAddressScan], ""),
        new("samples:ssh-bruteforce.pcap", false, [EvidenceTypes.PasswordGuessing], ""),
    ];

    public static Command Build()
    {
        var cmd = new Command("eval", "Run the detectors over Slips' datasets and samples/*.pcap and print the detection-quality table (Markdown).");
        var datasets = new Option<string>("--datasets") { Description = "Slips' dataset folder.", DefaultValueFactory = _ => "../shared/datasets/slips", HelpName = "DIR" };
        var samples = new Option<string>("--samples") { Description = "The project's captures.", DefaultValueFactory = _ => "samples", HelpName = "DIR" };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the table to this file.", HelpName = "FILE" };
        cmd.Options.Add(datasets);
        cmd.Options.Add(samples);
        cmd.Options.Add(output);
        cmd.SetAction(parse =>
        {
            string ds = Resolve(parse.GetValue(datasets)!);
            string sm = Resolve(parse.GetValue(samples)!);
            var outcomes = Run(ds, sm, Console.Error);
            string table = Table(outcomes);
            Console.Out.Write(table);
            if (parse.GetValue(output) is { Length: > 0 } path)
            {
                try
                {
                    File.WriteAllText(path, table);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"slips eval: {path}: {e.Message}");
                    return ExitCodes.InputError;
                }
            }

            bool falseOnBenign = outcomes.Exists(o => o.Case.Benign && (o.Alerts > 0 || o.Unexpected.Count > 0));
            return falseOnBenign ? 1 : ExitCodes.Ok;
        });
        return cmd;
    }

    private static string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(Analysis.Home, path);

    /// <summary>Runs every case whose input exists; a missing input is reported as such.</summary>
    internal static List<Outcome> Run(string datasetsDir, string samplesDir, TextWriter log)
    {
        var warnings = new List<string>();
        var results = new List<Outcome>();
        foreach (var c in s_cases)
        {
            string path = c.Input.StartsWith("datasets:", StringComparison.Ordinal)
                ? Path.Combine(datasetsDir, c.Input["datasets:".Length..])
                : Path.Combine(samplesDir, c.Input["samples:".Length..]);
            results.Add(RunOne(c, path, log));
        }

        return results;
    }

    internal static Outcome RunOne(Case c, string path, TextWriter log)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var unexpected = new SortedSet<string>(StringComparer.Ordinal);
        var missing = new SortedSet<string>(c.Expected, StringComparer.Ordinal);
        if (!File.Exists(path) && !Directory.Exists(path)) return new Outcome(c, "input not found: " + path, found, missing, unexpected, 0, 0);
        var warnings = new List<string>();
        AnalysisOptions options;
        try
        {
            options = SlipsConfig.Load(Analysis.ResolveInHome("config/slips.yaml"), true, [], warnings);
        }
        catch (ConfigException e)
        {
            return new Outcome(c, e.Message, found, missing, unexpected, 0, 0);
        }

        Whitelist? whitelist = null;
        string wl = Analysis.ResolveInHome(options.LocalWhitelistPath);
        if (options.EnableLocalWhitelist && File.Exists(wl)) whitelist = Whitelist.Load(wl);
        var sink = new Collector();
        try
        {
            using var source = InputDetector.Open(path, null, options, TextWriter.Null);
            var pipeline = new AnalysisPipeline(options, sink, NeutralThresholdFactor.Instance, whitelist);
            source.Run(pipeline, CancellationToken.None);
            pipeline.Finish();
            foreach (var e in sink.Evidence)
            {
                if (Array.IndexOf(c.Expected, e.Type) >= 0)
                {
                    found.Add(e.Type);
                    missing.Remove(e.Type);
                }
                else if (e.Weight > 0 && e.Direction == AttackerDirection.Source)
                {
                    unexpected.Add(e.Type);
                }
            }

            log.WriteLine($"slips eval: {c.Input}: {source.Stats.Records} records, {sink.Evidence.Count} evidence, {sink.Alerts} alerts");
            return new Outcome(c, null, found, missing, unexpected, sink.Alerts, source.Stats.Records);
        }
        catch (InputException e)
        {
            return new Outcome(c, e.Message, found, missing, unexpected, sink.Alerts, 0);
        }
    }

    /// <summary>The Markdown table.</summary>
    internal static string Table(IReadOnlyList<Outcome> outcomes)
    {
        var sb = new StringBuilder();
        sb.Append("| input | expected | found | missed | unexpected evidence (weight > 0) | alerts | note |\n");
        sb.Append("|---|---|---|---|---|---|---|\n");
        foreach (var o in outcomes)
        {
            string name = o.Case.Input.Replace("datasets:", "", StringComparison.Ordinal).Replace("samples:", "samples/", StringComparison.Ordinal);
            string expected = o.Case.Benign ? "none (benign)" : string.Join(", ", o.Case.Expected);
            string note = o.Error is not null ? "not run: " + o.Error : o.Case.Note;
            sb.Append("| ").Append(name)
              .Append(" | ").Append(expected)
              .Append(" | ").Append(o.Found.Count == 0 ? "-" : string.Join(", ", o.Found))
              .Append(" | ").Append(o.Missing.Count == 0 ? "-" : string.Join(", ", o.Missing))
              .Append(" | ").Append(o.Unexpected.Count == 0 ? "-" : string.Join(", ", o.Unexpected))
              .Append(" | ").Append(o.Alerts)
              .Append(" | ").Append(note.Replace("|", "/", StringComparison.Ordinal)).Append(" |\n");
        }

        return sb.ToString();
    }

    private sealed class Collector : IAlertSink
    {
        public List<Evidence> Evidence { get; } = new();

        public int Alerts { get; private set; }

        public void OnEvidence(Evidence evidence) => Evidence.Add(evidence);

        public void OnAlert(Alert alert) => Alerts++;
    }
}

using System.CommandLine;
using SlipsP2P.Cli.Configuration;

namespace SlipsP2P.Cli.Commands;

/// <summary>The root command: <c>slips -f INPUT [-o DIR] ...</c>, with Slips' flags.</summary>
internal static class AnalyzeCommand
{
    public static RootCommand Build()
    {
        var file = new Option<string>("--file", "-f")
        {
            Description = "Input to analyse: a pcap/pcapng capture, a Zeek log or log directory, an Argus binetflow, a Suricata eve.json, " +
                          "an nfdump file, or '-' for standard input (with --input-type). The kind is detected by content.",
            HelpName = "PATH",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Output directory (default output/<input>_<timestamp>/). Holds alerts.log, alerts.json and, with --write-flows, conn.log and dns.log.",
            HelpName = "DIR",
        };
        var config = new Option<string>("--config", "-c")
        {
            Description = "Configuration file (default config/slips.yaml).",
            HelpName = "FILE",
        };
        var window = new Option<double?>("--time-window", "-w")
        {
            Description = "Time-window width in seconds (overrides parameters.time_window_width; default 3600).",
            HelpName = "SECONDS",
        };
        var noDetection = new Option<bool>("-D", "--no-detection")
        {
            Description = "No detection: only build flows and profiles, and print the profiles.",
        };
        var printTuples = new Option<bool>("-p", "--print-tuples")
        {
            Description = "Print the behavioural tuples (profile, destination, port, protocol) with their Stratosphere letters.",
        };
        var anonymize = new Option<bool>("-A", "--anonymize")
        {
            Description = "Replace every IP address by a keyed hash before any processing; the mapping goes to anonymization-map.csv in the output directory.",
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Override a configuration key by its dotted path, e.g. --set detection.evidence_detection_threshold=0.1 (repeatable). " +
                          "Keys: " + string.Join(", ", ConfigKeys.All.Select(k => k.Path)) + ".",
            HelpName = "KEY=VALUE",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var writeFlows = new Option<bool>("--write-flows")
        {
            Description = "Also write the flows as Zeek logs (conn.log, dns.log with community_id and aid columns) in the output directory.",
        };
        var inputType = new Option<string>("--input-type")
        {
            Description = "Kind of input when it cannot be detected, required with '-f -': argus, zeek, suricata, pcap (e.g. tcpdump -w - | slips -f - --input-type pcap).",
            HelpName = "TYPE",
        };
        inputType.AcceptOnlyFromAmong("argus", "zeek", "suricata", "pcap", "nfdump");
        var markovModels = new Option<string>("-m", "--markov-models")
        {
            Description = "Behavioural Markov models: compare each tuple's letters with the models (*.json) in DIR, e.g. -m config/models (sets markov.models_dir).",
            HelpName = "DIR",
        };
        var minLetters = new Option<int?>("-a", "--min-letters")
        {
            Description = "Letters a tuple needs before the Markov models judge it (default 3; sets markov.min_letters).",
            HelpName = "N",
        };
        var workers = new Option<int?>("--workers")
        {
            Description = "Flow-table workers for a capture (default 1; sets parameters.workers): flows are split by a symmetric 5-tuple hash " +
                          "and merged back into one order, so the alerts are the same for any N.",
            HelpName = "N",
        };
        var noProgress = new Option<bool>("--no-progress")
        {
            Description = "Do not show a progress bar (none is shown when the output is not a terminal).",
        };

        var iface = new Option<string>("--interface", "-i")
        {
            Description = "Capture and analyse live traffic on this interface (Slips' -i; needs root or CAP_NET_RAW). Runs until Ctrl-C/SIGTERM " +
                          "or --duration, then flushes the flows and writes the alerts. Writes capture.json (libpcap and node drop counters) in the output directory.",
            HelpName = "IFACE",
        };
        var pcapFilter = new Option<string>("--pcapfilter", "-F")
        {
            Description = "BPF capture filter for -i, e.g. -F 'not port 22' (Slips' -F; sets parameters.pcapfilter).",
            HelpName = "BPF",
        };
        var duration = new Option<double?>("--duration")
        {
            Description = "With -i: stop capturing after this many seconds (default: until Ctrl-C or SIGTERM).",
            HelpName = "SECONDS",
        };

        var root = new RootCommand();
        foreach (var o in new Option[] { file, output, config, window, noDetection, printTuples, anonymize, set, writeFlows, inputType, noProgress, markovModels, minLetters, workers })
        {
            root.Options.Add(o);
        }

        foreach (var o in new Option[] { iface, pcapFilter, duration }) root.Options.Add(o);

        root.SetAction(parse =>
        {
            var request = new AnalysisRequest
            {
                Input = parse.GetValue(file),
                OutputDirectory = parse.GetValue(output),
                ConfigPath = parse.GetValue(config),
                TimeWindow = parse.GetValue(window),
                NoDetection = parse.GetValue(noDetection),
                PrintTuples = parse.GetValue(printTuples),
                Anonymize = parse.GetValue(anonymize),
                Overrides = WorkersOverride(MarkovOverrides(parse.GetValue(set) ?? [], parse.GetValue(markovModels), parse.GetValue(minLetters)), parse.GetValue(workers)),
                WriteFlows = parse.GetValue(writeFlows),
                InputType = parse.GetValue(inputType),
                NoProgress = parse.GetValue(noProgress),
                Interface = parse.GetValue(iface),
                PcapFilter = parse.GetValue(pcapFilter),
                Duration = parse.GetValue(duration),
            };
            return Analysis.Run(request, Console.Out, Console.Error);
        });
        return root;
    }

    /// <summary>--workers is a shorthand for parameters.workers, applied after --set (the key validates the number).</summary>
    private static string[] WorkersOverride(string[] overrides, int? workers) =>
        workers is { } n ? [.. overrides, "parameters.workers=" + n.ToString(System.Globalization.CultureInfo.InvariantCulture)] : overrides;

    /// <summary>-m and -a are shorthands for their configuration keys, applied after --set.</summary>
    private static string[] MarkovOverrides(string[] overrides, string? modelsDir, int? minLetters)
    {
        var all = new List<string>(overrides);
        if (!string.IsNullOrEmpty(modelsDir)) all.Add("markov.models_dir=" + modelsDir);
        if (minLetters is { } n) all.Add("markov.min_letters=" + n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return all.ToArray();
    }
}

/// <summary>What the user asked for on the command line.</summary>
internal sealed class AnalysisRequest
{
    public string? Input { get; init; }
    public string? OutputDirectory { get; init; }
    public string? ConfigPath { get; init; }
    public double? TimeWindow { get; init; }
    public bool NoDetection { get; init; }
    public bool PrintTuples { get; init; }
    public bool Anonymize { get; init; }
    public IReadOnlyList<string> Overrides { get; init; } = [];
    public bool WriteFlows { get; init; }
    public string? InputType { get; init; }
    public bool NoProgress { get; init; }
    public string? Interface { get; init; }
    public string? PcapFilter { get; init; }
    public double? Duration { get; init; }
}

using System.CommandLine;
using System.Globalization;
using SlipsP2P.Core;
using SlipsP2P.Detection.Detectors.MarkovModels;
using SlipsP2P.Ingest;

namespace SlipsP2P.Cli.Commands;

/// <summary><c>slips models train</c>: makes a behavioural Markov model from labelled letter strings or labelled captures.</summary>
internal static class ModelsCommand
{
    /// <summary>Largest letters file read.</summary>
    public const long MaxLettersFileBytes = 64L << 20;

    public static Command Build()
    {
        var models = new Command("models", "Behavioural Markov models over the Stratosphere letters (used with -m DIR).");
        var train = new Command("train", "Train one model from letter strings (--letters) and/or from the tuples of captures or flow files (--input), " +
                                         "all of one label, and write it as JSON.");
        var label = new Option<string>("--label") { Description = "The model's label, e.g. Botnet-CC-Beacon or Normal-Browsing.", Required = true, HelpName = "LABEL" };
        var output = new Option<string>("--output", "-o") { Description = "The model file to write (*.json).", Required = true, HelpName = "FILE" };
        var letters = new Option<string[]>("--letters")
        {
            Description = "A file of letter strings, one per line; a line 'LABEL<TAB>LETTERS' is used only when LABEL is --label. '#' starts a comment.",
            HelpName = "FILE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var input = new Option<string[]>("--input", "-f")
        {
            Description = "A capture or flow file whose tuples all carry this label (repeatable).",
            HelpName = "PATH",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var port = new Option<int?>("--port") { Description = "Only tuples to this destination port (with --input).", HelpName = "PORT" };
        var source = new Option<string>("--source") { Description = "Only tuples of this source IP (with --input).", HelpName = "IP" };
        var minLetters = new Option<int>("--min-letters") { Description = "Only tuples with at least this many letters.", DefaultValueFactory = _ => 5 };
        var normal = new Option<bool>("--normal") { Description = "A model of normal traffic: it competes for the closest match but raises nothing." };
        var evidenceType = new Option<string>("--evidence-type") { Description = "Evidence type raised on a match.", DefaultValueFactory = _ => EvidenceTypes.CommandAndControlChannel };
        // 1.0: the detector judges a tuple from its first few letters on, and the opening of any run of small
        // repetitive connections (an SSH brute force: "88h.h.h.") is within 1.25x of a beacon model's worst full string.
        var margin = new Option<double>("--margin") { Description = "Threshold = largest training distance x this.", DefaultValueFactory = _ => 1.0 };
        foreach (var o in new Option[] { label, output, letters, input, port, source, minLetters, normal, evidenceType, margin }) train.Options.Add(o);
        train.SetAction(parse => Train(
            parse.GetValue(label)!, parse.GetValue(output)!, parse.GetValue(letters) ?? [], parse.GetValue(input) ?? [], parse.GetValue(port),
            parse.GetValue(source), parse.GetValue(minLetters), parse.GetValue(normal), parse.GetValue(evidenceType)!, parse.GetValue(margin),
            Console.Out, Console.Error));
        models.Subcommands.Add(train);
        return models;
    }

    internal static int Train(string label, string output, string[] letterFiles, string[] inputs, int? port, string? source, int minLetters,
                              bool normal, string evidenceType, double margin, TextWriter stdout, TextWriter stderr)
    {
        const string me = "slips models train";
        if (letterFiles.Length == 0 && inputs.Length == 0)
        {
            stderr.WriteLine($"{me}: give training data with --letters FILE and/or --input PATH");
            return ExitCodes.UsageError;
        }

        if (port is < 0 or > 65535 || minLetters < 2 || !(margin >= 1) || string.IsNullOrWhiteSpace(label))
        {
            stderr.WriteLine($"{me}: --port must be 0..65535, --min-letters at least 2, --margin at least 1, --label not empty");
            return ExitCodes.UsageError;
        }

        IpAddr? sourceIp = null;
        if (!string.IsNullOrEmpty(source))
        {
            if (!IpAddr.TryParse(source, out var ip))
            {
                stderr.WriteLine($"{me}: --source '{source}' is not an IP address");
                return ExitCodes.UsageError;
            }

            sourceIp = ip;
        }

        var strings = new List<string>();
        foreach (var file in letterFiles)
        {
            try
            {
                if (new FileInfo(file).Length > MaxLettersFileBytes)
                {
                    stderr.WriteLine($"{me}: {file}: larger than {MaxLettersFileBytes} bytes");
                    return ExitCodes.InputError;
                }

                int lineNo = 0;
                foreach (var raw in File.ReadLines(file))
                {
                    lineNo++;
                    string line = raw.Trim();
                    if (line.Length == 0 || line[0] == '#') continue;
                    int tab = line.IndexOf('\t', StringComparison.Ordinal);
                    if (tab >= 0)
                    {
                        if (!string.Equals(line[..tab].Trim(), label, StringComparison.Ordinal)) continue;
                        line = line[(tab + 1)..].Trim();
                    }

                    foreach (char c in line)
                    {
                        if (MarkovModel.IndexOf(c) < 0)
                        {
                            stderr.WriteLine($"{me}: {file}: line {lineNo}: '{c}' is not a behavioural letter");
                            return ExitCodes.InputError;
                        }
                    }

                    strings.Add(line);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"{me}: {file}: {e.Message}");
                return ExitCodes.InputError;
            }
        }

        foreach (var path in inputs)
        {
            var collector = new LetterCollector { Port = port is { } p ? (ushort)p : null, Source = sourceIp };
            try
            {
                using var src = InputDetector.Open(path, null, new AnalysisOptions(), stderr);
                src.Run(collector, CancellationToken.None);
            }
            catch (InputException e)
            {
                stderr.WriteLine($"{me}: {e.Message}");
                return ExitCodes.InputError;
            }

            var found = collector.Strings(minLetters);
            stdout.WriteLine($"{path}: {found.Count} tuples with at least {minLetters} letters");
            foreach (var (tuple, s) in found)
            {
                stdout.WriteLine($"  {tuple}\t{s}");
                strings.Add(s);
            }
        }

        if (strings.Count == 0)
        {
            stderr.WriteLine($"{me}: no training strings (check --label, --port, --source, --min-letters)");
            return ExitCodes.InputError;
        }

        var model = new MarkovModel(label) { EvidenceType = normal ? "" : evidenceType };
        foreach (var s in strings) model.Train(s);
        model.CalibrateThreshold(strings, margin);
        if (!OutputFile.TryWriteText(output, model.ToJson() + "\n", me, stderr)) return ExitCodes.UsageError;

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output}: model '{label}' from {strings.Count} strings, threshold {MarkovModel.Format(model.Threshold)}{(normal ? " (normal: raises nothing)" : "")}"));
        return ExitCodes.Ok;
    }
}

using System.CommandLine;
using System.Globalization;
using System.Runtime.CompilerServices;
using SlipsP2P.Core;
using SlipsP2P.Detection.Detectors.FlowMl;
using SlipsP2P.Detection.Ml;
using SlipsP2P.Ingest;

namespace SlipsP2P.Cli.Commands;

/// <summary><c>slips ml train|evaluate</c>: the flow classifier (MALICIOUS_FLOW), trained and evaluated on a split by time.</summary>
internal static class MlCommand
{
    /// <summary>Flows read per input at most (the rest is ignored with a warning).</summary>
    public const int MaxFlowsPerInput = 1_000_000;

    public static Command Build()
    {
        var ml = new Command("ml", "The flow classifier (Slips' flowmldetection): per-flow features, logistic regression, MALICIOUS_FLOW evidence.");

        var train = new Command("train", "Train on labelled flows, report precision/recall on the later part of each input (split by time), write the model.");
        var labels = new Option<string[]>("--labels", "-l")
        {
            Description = "Labelled flows (Zeek conn.log with a label column, Argus binetflow with Label): 'malicious'/'botnet' vs 'benign'/'normal'; others are skipped.",
            HelpName = "PATH",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var malicious = new Option<string[]>("--malicious") { Description = "An input whose flows are all malicious (e.g. a beacon capture).", HelpName = "PATH", Arity = ArgumentArity.ZeroOrMore };
        var benign = new Option<string[]>("--benign") { Description = "An input whose flows are all benign.", HelpName = "PATH", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string>("--output", "-o") { Description = "The model file to write (JSON).", Required = true, HelpName = "FILE" };
        var trainFraction = new Option<double>("--train-fraction") { Description = "Earliest share of each input used for training; the rest is held out.", DefaultValueFactory = _ => 0.7 };
        var threshold = new Option<double>("--threshold") { Description = "Probability at which a flow is malicious.", DefaultValueFactory = _ => 0.5 };
        foreach (var o in new Option[] { labels, malicious, benign, output, trainFraction, threshold }) train.Options.Add(o);
        train.SetAction(parse => Train(parse.GetValue(labels) ?? [], parse.GetValue(malicious) ?? [], parse.GetValue(benign) ?? [], parse.GetValue(output)!,
            parse.GetValue(trainFraction), parse.GetValue(threshold), Console.Out, Console.Error));

        var evaluate = new Command("evaluate", "Print the precision/recall table of a model on labelled flows (all of them, or the held-out part with --held-out).");
        var model = new Option<string>("--model", "-m") { Description = "The model (from slips ml train).", Required = true, HelpName = "FILE" };
        var heldOut = new Option<bool>("--held-out") { Description = "Only the later part of each input (the split slips ml train held out)." };
        var labels2 = new Option<string[]>("--labels", "-l") { Description = labels.Description, HelpName = "PATH", Arity = ArgumentArity.ZeroOrMore };
        var malicious2 = new Option<string[]>("--malicious") { Description = malicious.Description, HelpName = "PATH", Arity = ArgumentArity.ZeroOrMore };
        var benign2 = new Option<string[]>("--benign") { Description = benign.Description, HelpName = "PATH", Arity = ArgumentArity.ZeroOrMore };
        var fraction2 = new Option<double>("--train-fraction") { Description = trainFraction.Description, DefaultValueFactory = _ => 0.7 };
        foreach (var o in new Option[] { model, labels2, malicious2, benign2, heldOut, fraction2 }) evaluate.Options.Add(o);
        evaluate.SetAction(parse => Evaluate(parse.GetValue(model)!, parse.GetValue(labels2) ?? [], parse.GetValue(malicious2) ?? [], parse.GetValue(benign2) ?? [],
            parse.GetValue(heldOut), parse.GetValue(fraction2), Console.Out, Console.Error));

        ml.Subcommands.Add(train);
        ml.Subcommands.Add(evaluate);
        return ml;
    }

    internal static int Train(string[] labelled, string[] malicious, string[] benign, string output, double trainFraction, double threshold,
                              TextWriter stdout, TextWriter stderr)
    {
        const string me = "slips ml train";
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            // ML.NET builds its data views with Reflection.Emit, which a native build does not have (its trainer failed
            // there on a trimmed schema). Scoring and `ml evaluate` are ML.NET-free and run in any build.
            stderr.WriteLine($"{me}: this slips is a native (ahead-of-time compiled) build, and ML.NET's trainer needs the JIT; "
                + "run it through the ./slips launcher, which trains on a JIT build of the same sources");
            return ExitCodes.Unavailable;
        }

        if (!(trainFraction > 0 && trainFraction < 1) || !(threshold > 0 && threshold < 1))
        {
            stderr.WriteLine($"{me}: --train-fraction and --threshold must be between 0 and 1");
            return ExitCodes.UsageError;
        }

        if (!TryLoad(me, labelled, malicious, benign, stdout, stderr, out var inputs)) return ExitCodes.InputError;
        var (trainSet, testSet) = FlowMlEvaluation.SplitByTime(inputs, trainFraction);
        FlowClassifierModel model;
        try
        {
            model = FlowMlTrainer.Train(trainSet, threshold);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"{me}: {e.Message}");
            return ExitCodes.InputError;
        }

        var trainScore = FlowMlEvaluation.Evaluate(model, trainSet);
        var testScore = FlowMlEvaluation.Evaluate(model, testSet);
        stdout.WriteLine($"training flows (earliest {trainFraction:P0} of each input): {trainSet.Count}");
        stdout.Write(trainScore.Table());
        stdout.WriteLine($"held-out flows (the later part of each input, split by time): {testSet.Count}");
        stdout.Write(testScore.Table());
        var described = new FlowClassifierModel(model.Mean.ToArray(), model.Scale.ToArray(), model.Weights.ToArray(), model.Bias, model.Threshold)
        {
            Description = string.Create(CultureInfo.InvariantCulture,
                $"L-BFGS logistic regression (ML.NET 5.0.1) on {trainSet.Count} flows of {string.Join(", ", labelled.Concat(malicious).Concat(benign).Select(Path.GetFileName))}; " +
                $"held out by time: {testSet.Count} flows, malicious precision {testScore.Precision:0.000} recall {testScore.Recall:0.000}, " +
                $"benign recall {testScore.BenignRecall:0.000}"),
        };
        if (!OutputFile.TryWriteText(output, described.ToJson() + "\n", me, stderr)) return ExitCodes.UsageError;

        stdout.WriteLine($"model written to {output}");
        return ExitCodes.Ok;
    }

    internal static int Evaluate(string modelPath, string[] labelled, string[] malicious, string[] benign, bool heldOut, double trainFraction,
                                 TextWriter stdout, TextWriter stderr)
    {
        const string me = "slips ml evaluate";
        FlowClassifierModel model;
        try
        {
            model = FlowClassifierModel.Load(modelPath);
        }
        catch (InvalidDataException e)
        {
            stderr.WriteLine($"{me}: {e.Message}");
            return ExitCodes.InputError;
        }

        if (heldOut && !(trainFraction > 0 && trainFraction < 1))
        {
            stderr.WriteLine($"{me}: --train-fraction must be between 0 and 1");
            return ExitCodes.UsageError;
        }

        if (!TryLoad(me, labelled, malicious, benign, stdout, stderr, out var inputs)) return ExitCodes.InputError;
        List<LabelledFlow> flows = heldOut ? FlowMlEvaluation.SplitByTime(inputs, trainFraction).Test : inputs.SelectMany(i => i).ToList();
        stdout.WriteLine($"{(heldOut ? "held-out" : "all")} flows: {flows.Count} (model threshold {model.Threshold.ToString(CultureInfo.InvariantCulture)})");
        stdout.Write(FlowMlEvaluation.Evaluate(model, flows).Table());
        return ExitCodes.Ok;
    }

    private static bool TryLoad(string me, string[] labelled, string[] malicious, string[] benign, TextWriter stdout, TextWriter stderr,
                                out List<IReadOnlyList<LabelledFlow>> inputs)
    {
        inputs = new List<IReadOnlyList<LabelledFlow>>();
        if (labelled.Length + malicious.Length + benign.Length == 0)
        {
            stderr.WriteLine($"{me}: give labelled flows with --labels, --malicious or --benign");
            return false;
        }

        foreach (var (paths, fixedClass) in new[] { (labelled, -1), (malicious, 1), (benign, 0) })
        {
            foreach (var path in paths)
            {
                var collector = new Collector(fixedClass);
                try
                {
                    using var src = InputDetector.Open(path, null, new AnalysisOptions(), stderr);
                    src.Run(collector, CancellationToken.None);
                }
                catch (InputException e)
                {
                    stderr.WriteLine($"{me}: {e.Message}");
                    return false;
                }

                if (collector.Refused > 0) stderr.WriteLine($"{me}: warning: {path}: only the first {MaxFlowsPerInput} flows were used");
                stdout.WriteLine($"{path}: {collector.Flows.Count} labelled flows ({collector.Malicious} malicious), {collector.Unlabelled} without a usable label");
                inputs.Add(collector.Flows);
            }
        }

        return true;
    }

    private sealed class Collector(int fixedClass) : IEventSink
    {
        public List<LabelledFlow> Flows { get; } = new();

        public long Malicious { get; private set; }

        public long Unlabelled { get; private set; }

        public long Refused { get; private set; }

        public void OnEvent(NetEvent record)
        {
            if (record is not FlowRecord flow || !double.IsFinite(flow.Timestamp)) return;
            int c = fixedClass >= 0 ? fixedClass : FlowFeatures.LabelClass(flow.Label);
            if (c < 0)
            {
                Unlabelled++;
                return;
            }

            if (Flows.Count >= MaxFlowsPerInput)
            {
                Refused++;
                return;
            }

            Flows.Add(new LabelledFlow(flow, c));
            if (c == 1) Malicious++;
        }
    }
}

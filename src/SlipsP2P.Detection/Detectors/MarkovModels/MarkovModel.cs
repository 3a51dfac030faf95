using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlipsP2P.Detection.Detectors.MarkovModels;

/// <summary>
/// A first-order Markov chain over the Stratosphere behavioural symbols, trained from labelled letter strings: the
/// transition counts (with add-one smoothing) give log P(next | current). A string is scored by its mean log-likelihood
/// per transition; its distance to the model is minus that. The model matches a string whose distance is at most
/// <see cref="Threshold"/>. Models labelled as normal traffic (empty <see cref="EvidenceType"/>) take part in the
/// closest-model choice but raise nothing, which is what keeps benign strings away from the C&amp;C models.
/// </summary>
public sealed class MarkovModel
{
    /// <summary>Every symbol a tuple's string can hold: the letters of the five periodicity rows, the time characters and '0'.</summary>
    public const string Alphabet = "123456789abcdefghiABCDEFGHIrstuvwxyzRSTUVWXYZ.,+*0";

    /// <summary>Largest model file read.</summary>
    public const int MaxFileBytes = 1 << 20;

    private static readonly sbyte[] s_index = BuildIndex();

    private readonly long[] _counts;
    private readonly long[] _rowTotals;
    private readonly float[] _logP;

    /// <summary>Creates an empty (untrained) model.</summary>
    public MarkovModel(string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        Label = label;
        _counts = new long[Alphabet.Length * Alphabet.Length];
        _rowTotals = new long[Alphabet.Length];
        _logP = new float[Alphabet.Length * Alphabet.Length];
        Recompute();
    }

    /// <summary>Number of symbols.</summary>
    public static int Symbols => Alphabet.Length;

    /// <summary>The model's label (e.g. "Botnet-CC-Beacon", "Normal-Browsing").</summary>
    public string Label { get; }

    /// <summary>Evidence type raised on a match; empty for a model of normal traffic.</summary>
    public string EvidenceType { get; set; } = EvidenceTypes.CommandAndControlChannel;

    /// <summary>Threat level of the evidence on a match.</summary>
    public ThreatLevel ThreatLevel { get; set; } = ThreatLevel.High;

    /// <summary>Largest distance (minus the mean log-likelihood per transition, in nats) that still matches.</summary>
    public double Threshold { get; set; } = 1.0;

    /// <summary>Strings it was trained on.</summary>
    public long TrainingStrings { get; private set; }

    /// <summary>The index of a symbol, or -1 when it is not one.</summary>
    public static int IndexOf(char c) => c < 128 ? s_index[c] : -1;

    /// <summary>log P(to | from), for symbol indices.</summary>
    public float LogProbability(int from, int to) => _logP[(from * Alphabet.Length) + to];

    /// <summary>Adds the transitions of a letter string (unknown characters break the chain).</summary>
    public void Train(string letters)
    {
        ArgumentNullException.ThrowIfNull(letters);
        int prev = -1;
        foreach (char c in letters)
        {
            int i = IndexOf(c);
            if (prev >= 0 && i >= 0)
            {
                _counts[(prev * Alphabet.Length) + i]++;
                _rowTotals[prev]++;
            }

            prev = i;
        }

        TrainingStrings++;
        Recompute();
    }

    /// <summary>Distance of a whole string: minus its mean log-likelihood per transition; +inf when it has none.</summary>
    public double Distance(ReadOnlySpan<char> letters)
    {
        double sum = 0;
        int n = 0;
        int prev = -1;
        foreach (char c in letters)
        {
            int i = IndexOf(c);
            if (prev >= 0 && i >= 0)
            {
                sum += LogProbability(prev, i);
                n++;
            }

            prev = i;
        }

        return n == 0 ? double.PositiveInfinity : -sum / n;
    }

    /// <summary>Sets <see cref="Threshold"/> from training strings: their largest distance times <paramref name="margin"/>.</summary>
    public void CalibrateThreshold(IEnumerable<string> strings, double margin = 1.25)
    {
        ArgumentNullException.ThrowIfNull(strings);
        double worst = 0;
        foreach (var s in strings)
        {
            double d = Distance(s);
            if (double.IsFinite(d) && d > worst) worst = d;
        }

        Threshold = Math.Round(worst * margin, 4);
    }

    /// <summary>Writes the model as JSON (label, evidence, threshold, alphabet and the non-zero transition counts).</summary>
    public string ToJson()
    {
        var transitions = new JsonObject();
        for (int a = 0; a < Alphabet.Length; a++)
        {
            var row = new JsonObject();
            for (int b = 0; b < Alphabet.Length; b++)
            {
                long c = _counts[(a * Alphabet.Length) + b];
                if (c > 0) row[Alphabet[b].ToString()] = c;
            }

            if (row.Count > 0) transitions[Alphabet[a].ToString()] = row;
        }

        var root = new JsonObject
        {
            ["format"] = "slipsp2p-markov/1",
            ["label"] = Label,
            ["evidence_type"] = EvidenceType,
            ["threat_level"] = ThreatLevel.ToString().ToLowerInvariant(),
            ["threshold"] = Threshold,
            ["order"] = 1,
            ["training_strings"] = TrainingStrings,
            ["alphabet"] = Alphabet,
            ["transitions"] = transitions,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a model file; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static MarkovModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new InvalidDataException($"{path}: no such model file");
        if (info.Length > MaxFileBytes) throw new InvalidDataException($"{path}: model file larger than {MaxFileBytes} bytes");
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }
    }

    /// <summary>Parses model JSON; <paramref name="name"/> names the source in errors.</summary>
    public static MarkovModel Parse(string json, string name)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (JsonNode.Parse(json) is not JsonObject root) throw new InvalidDataException($"{name}: a model is a JSON object");
        if (root["format"]?.GetValue<string>() != "slipsp2p-markov/1") throw new InvalidDataException($"{name}: format must be \"slipsp2p-markov/1\"");
        string label = root["label"]?.GetValue<string>() ?? "";
        if (string.IsNullOrWhiteSpace(label)) throw new InvalidDataException($"{name}: missing label");
        if ((root["order"]?.GetValue<int>() ?? 1) != 1) throw new InvalidDataException($"{name}: only order 1 is supported");
        var model = new MarkovModel(label)
        {
            EvidenceType = root["evidence_type"]?.GetValue<string>() ?? EvidenceTypes.CommandAndControlChannel,
            Threshold = root["threshold"]?.GetValue<double>() ?? throw new InvalidDataException($"{name}: missing threshold"),
            ThreatLevel = (root["threat_level"]?.GetValue<string>() ?? "high") switch
            {
                "info" => ThreatLevel.Info,
                "low" => ThreatLevel.Low,
                "medium" => ThreatLevel.Medium,
                "high" => ThreatLevel.High,
                "critical" => ThreatLevel.Critical,
                var t => throw new InvalidDataException($"{name}: unknown threat_level '{t}'"),
            },
        };
        if (!(model.Threshold > 0) || !double.IsFinite(model.Threshold)) throw new InvalidDataException($"{name}: threshold must be positive");
        model.TrainingStrings = root["training_strings"]?.GetValue<long>() ?? 0;
        if (root["transitions"] is not JsonObject transitions) throw new InvalidDataException($"{name}: missing transitions");
        foreach (var (from, row) in transitions)
        {
            int a = from.Length == 1 ? IndexOf(from[0]) : -1;
            if (a < 0) throw new InvalidDataException($"{name}: transitions: unknown symbol '{from}'");
            if (row is not JsonObject cells) throw new InvalidDataException($"{name}: transitions['{from}'] must be an object");
            foreach (var (to, count) in cells)
            {
                int b = to.Length == 1 ? IndexOf(to[0]) : -1;
                if (b < 0) throw new InvalidDataException($"{name}: transitions['{from}']: unknown symbol '{to}'");
                long c = count?.GetValue<long>() ?? 0;
                if (c < 0 || c > int.MaxValue) throw new InvalidDataException($"{name}: transitions['{from}']['{to}'] out of range");
                model._counts[(a * Alphabet.Length) + b] = c;
                model._rowTotals[a] += c;
            }
        }

        model.Recompute();
        return model;
    }

    /// <summary>Formats a distance for messages.</summary>
    public static string Format(double d) => d.ToString("0.###", CultureInfo.InvariantCulture);

    private void Recompute()
    {
        int k = Alphabet.Length;
        for (int a = 0; a < k; a++)
        {
            double total = _rowTotals[a] + k;
            for (int b = 0; b < k; b++) _logP[(a * k) + b] = (float)Math.Log((_counts[(a * k) + b] + 1) / total);
        }
    }

    private static sbyte[] BuildIndex()
    {
        var index = new sbyte[128];
        Array.Fill(index, (sbyte)-1);
        for (int i = 0; i < Alphabet.Length; i++) index[Alphabet[i]] = (sbyte)i;
        return index;
    }
}

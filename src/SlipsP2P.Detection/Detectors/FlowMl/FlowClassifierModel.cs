using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlipsP2P.Detection.Detectors.FlowMl;

/// <summary>
/// The trained flow classifier as the analysis uses it: standardisation (mean and scale per feature) then a logistic
/// regression, P(malicious) = 1 / (1 + exp(-(w . z + b))). <c>slips ml train</c> fits it with ML.NET and writes it
/// as JSON; scoring here is a dot product over <see cref="FlowFeatures.Count"/> floats, so the analysis never loads
/// ML.NET (no start-up cost, O(1) per flow, no allocation).
/// </summary>
public sealed class FlowClassifierModel
{
    /// <summary>Largest model file read.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>The format tag in the file.</summary>
    public const string Format = "slipsp2p-flow-classifier/1";

    /// <summary>Creates a model; the arrays are <see cref="FlowFeatures.Count"/> long.</summary>
    public FlowClassifierModel(float[] mean, float[] scale, float[] weights, float bias, double threshold)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(weights);
        int n = FlowFeatures.Count;
        if (mean.Length != n || scale.Length != n || weights.Length != n) throw new ArgumentException($"a model has {n} features");
        Mean = mean;
        Scale = scale;
        Weights = weights;
        Bias = bias;
        Threshold = threshold;
    }

    public IReadOnlyList<float> Mean { get; }

    public IReadOnlyList<float> Scale { get; }

    public IReadOnlyList<float> Weights { get; }

    public float Bias { get; }

    /// <summary>Probability at or above which a flow is malicious.</summary>
    public double Threshold { get; }

    /// <summary>Free text: what it was trained on, the held-out metrics.</summary>
    public string Description { get; init; } = "";

    /// <summary>P(malicious) of standardised-and-weighted features.</summary>
    public double Probability(ReadOnlySpan<float> features)
    {
        double z = Bias;
        for (int i = 0; i < Weights.Count; i++)
        {
            float s = Scale[i];
            z += Weights[i] * ((features[i] - Mean[i]) / (s > 0 ? s : 1));
        }

        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>P(malicious) of a flow.</summary>
    public double Probability(FlowRecord flow)
    {
        Span<float> f = stackalloc float[FlowFeatures.Count];
        FlowFeatures.Compute(flow, f);
        return Probability(f);
    }

    public string ToJson()
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["description"] = Description,
            ["features"] = new JsonArray(FlowFeatures.Names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["mean"] = Array(Mean),
            ["scale"] = Array(Scale),
            ["weights"] = Array(Weights),
            ["bias"] = Bias,
            ["threshold"] = Threshold,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

        static JsonArray Array(IReadOnlyList<float> v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
    }

    /// <summary>Reads a model file; <see cref="InvalidDataException"/> names the file and the problem.</summary>
    public static FlowClassifierModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new InvalidDataException($"{path}: no such model file");
        if (info.Length > MaxFileBytes) throw new InvalidDataException($"{path}: model file larger than {MaxFileBytes} bytes");
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a flow classifier: {e.Message}");
        }
    }

    public static FlowClassifierModel Parse(string json, string name)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (JsonNode.Parse(json) is not JsonObject root) throw new InvalidDataException($"{name}: a model is a JSON object");
        if (root["format"]?.GetValue<string>() != Format) throw new InvalidDataException($"{name}: format must be \"{Format}\"");
        if (root["features"] is not JsonArray features || features.Count != FlowFeatures.Count)
            throw new InvalidDataException($"{name}: expected the {FlowFeatures.Count} features {string.Join(",", FlowFeatures.Names)}");
        for (int i = 0; i < features.Count; i++)
        {
            if (features[i]?.GetValue<string>() != FlowFeatures.Names[i]) throw new InvalidDataException($"{name}: feature {i} must be {FlowFeatures.Names[i]}");
        }

        double threshold = root["threshold"]?.GetValue<double>() ?? throw new InvalidDataException($"{name}: missing threshold");
        if (!(threshold > 0 && threshold < 1)) throw new InvalidDataException($"{name}: threshold must be in (0, 1)");
        float bias = root["bias"]?.GetValue<float>() ?? throw new InvalidDataException($"{name}: missing bias");
        return new FlowClassifierModel(Floats(root, "mean", name), Floats(root, "scale", name), Floats(root, "weights", name), bias, threshold)
        {
            Description = root["description"]?.GetValue<string>() ?? "",
        };
    }

    /// <summary>Formats a probability for messages.</summary>
    public static string FormatProbability(double p) => p.ToString("0.###", CultureInfo.InvariantCulture);

    private static float[] Floats(JsonObject root, string key, string name)
    {
        if (root[key] is not JsonArray a || a.Count != FlowFeatures.Count) throw new InvalidDataException($"{name}: {key} must hold {FlowFeatures.Count} numbers");
        var v = new float[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            v[i] = a[i]?.GetValue<float>() ?? throw new InvalidDataException($"{name}: {key}[{i}] is null");
            if (!float.IsFinite(v[i])) throw new InvalidDataException($"{name}: {key}[{i}] is not finite");
        }

        return v;
    }
}

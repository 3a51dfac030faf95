using System.Globalization;
using System.Text;

namespace SlipsP2P.Detection.Detectors.FlowMl;

/// <summary>A flow with its class (1 malicious, 0 benign), from one named input.</summary>
public readonly record struct LabelledFlow(FlowRecord Flow, int Class);

/// <summary>
/// The held-out split by time and the precision/recall table. Splitting by time, not by random flow, keeps the
/// flows of one connection burst or one infection phase on one side, so the test measures what a model that was
/// trained on the past does on the future (field-reference 4.4: random splits of flow datasets leak).
/// </summary>
public static class FlowMlEvaluation
{
    /// <summary>
    /// Splits each input's flows by start time: the earliest <paramref name="trainFraction"/> train, the rest test.
    /// Each input is split on its own, so inputs recorded at different dates all contribute to both sides.
    /// </summary>
    public static (List<LabelledFlow> Train, List<LabelledFlow> Test) SplitByTime(IEnumerable<IReadOnlyList<LabelledFlow>> inputs, double trainFraction)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (!(trainFraction > 0 && trainFraction < 1)) throw new ArgumentOutOfRangeException(nameof(trainFraction), "must be in (0, 1)");
        var train = new List<LabelledFlow>();
        var test = new List<LabelledFlow>();
        foreach (var input in inputs)
        {
            var sorted = input.ToArray();
            Array.Sort(sorted, static (a, b) => a.Flow.Timestamp.CompareTo(b.Flow.Timestamp));
            int cut = (int)Math.Round(sorted.Length * trainFraction);
            train.AddRange(sorted.AsSpan(0, cut).ToArray());
            test.AddRange(sorted.AsSpan(cut).ToArray());
        }

        return (train, test);
    }

    /// <summary>The confusion counts of <paramref name="model"/> on <paramref name="flows"/>.</summary>
    public static Confusion Evaluate(FlowClassifierModel model, IEnumerable<LabelledFlow> flows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(flows);
        var c = new Confusion();
        foreach (var f in flows)
        {
            bool predicted = model.Probability(f.Flow) >= model.Threshold;
            if (f.Class == 1)
            {
                if (predicted) c.TruePositives++;
                else c.FalseNegatives++;
            }
            else
            {
                if (predicted) c.FalsePositives++;
                else c.TrueNegatives++;
            }
        }

        return c;
    }
}

/// <summary>Confusion counts with malicious as the positive class.</summary>
public sealed class Confusion
{
    public long TruePositives { get; set; }

    public long FalsePositives { get; set; }

    public long TrueNegatives { get; set; }

    public long FalseNegatives { get; set; }

    public long Total => TruePositives + FalsePositives + TrueNegatives + FalseNegatives;

    /// <summary>Precision of the malicious class (NaN with no positive prediction).</summary>
    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    /// <summary>Recall of the malicious class (NaN with no malicious flow).</summary>
    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);

    /// <summary>Precision of the benign class.</summary>
    public double BenignPrecision => Ratio(TrueNegatives, TrueNegatives + FalseNegatives);

    /// <summary>Recall of the benign class (1 - false-positive rate).</summary>
    public double BenignRecall => Ratio(TrueNegatives, TrueNegatives + FalsePositives);

    /// <summary>The table <c>slips ml evaluate</c> prints.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine("class       precision  recall  f1      support");
        Row(sb, "malicious", Precision, Recall, TruePositives + FalseNegatives);
        Row(sb, "benign", BenignPrecision, BenignRecall, TrueNegatives + FalsePositives);
        sb.AppendLine(CultureInfo.InvariantCulture, $"confusion: TP {TruePositives}  FP {FalsePositives}  TN {TrueNegatives}  FN {FalseNegatives}");
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string name, double p, double r, long support)
    {
        double f1 = 2 * p * r / (p + r);
        sb.AppendLine(CultureInfo.InvariantCulture, $"{name,-11} {F(p),-10} {F(r),-7} {F(f1),-7} {support}");
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    private static double Ratio(long a, long b) => b == 0 ? double.NaN : a / (double)b;
}

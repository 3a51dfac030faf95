using Microsoft.ML;
using Microsoft.ML.Data;
using SlipsP2P.Detection.Detectors.FlowMl;

namespace SlipsP2P.Detection.Ml;

/// <summary>
/// Fits the flow classifier with ML.NET: features from <see cref="FlowFeatures"/>, standardised here (mean and
/// standard deviation of the training flows), then L-BFGS logistic regression. The result is exported as a
/// <see cref="FlowClassifierModel"/> (weights, bias, standardisation) that the analysis scores without ML.NET.
/// </summary>
public static class FlowMlTrainer
{
    /// <summary>Training flows accepted at most.</summary>
    public const int MaxTrainingFlows = 2_000_000;

    /// <summary>Trains on <paramref name="train"/>; both classes must be present.</summary>
    public static FlowClassifierModel Train(IReadOnlyList<LabelledFlow> train, double threshold = 0.5, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count > MaxTrainingFlows) throw new ArgumentException($"more than {MaxTrainingFlows} training flows", nameof(train));
        int positives = 0;
        foreach (var f in train) positives += f.Class == 1 ? 1 : 0;
        if (positives == 0 || positives == train.Count) throw new ArgumentException("training needs both malicious and benign flows", nameof(train));

        int n = FlowFeatures.Count;
        var raw = new float[train.Count][];
        var mean = new double[n];
        for (int i = 0; i < train.Count; i++)
        {
            raw[i] = new float[n];
            FlowFeatures.Compute(train[i].Flow, raw[i]);
            for (int j = 0; j < n; j++) mean[j] += raw[i][j];
        }

        for (int j = 0; j < n; j++) mean[j] /= train.Count;
        var variance = new double[n];
        foreach (var row in raw)
        {
            for (int j = 0; j < n; j++) variance[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
        }

        var meanF = new float[n];
        var scaleF = new float[n];
        for (int j = 0; j < n; j++)
        {
            meanF[j] = (float)mean[j];
            double sd = Math.Sqrt(variance[j] / train.Count);
            scaleF[j] = sd > 1e-6 ? (float)sd : 1f;
        }

        var rows = new List<Row>(train.Count);
        for (int i = 0; i < train.Count; i++)
        {
            var z = new float[n];
            for (int j = 0; j < n; j++) z[j] = (raw[i][j] - meanF[j]) / scaleF[j];
            rows.Add(new Row { Features = z, Label = train[i].Class == 1 });
        }

        var ml = new MLContext(seed);
        var data = ml.Data.LoadFromEnumerable(rows, SchemaFor(ml, n));
        var trainer = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new Microsoft.ML.Trainers.LbfgsLogisticRegressionBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            L2Regularization = 0.1f,
            L1Regularization = 0.01f,
        });
        var fitted = trainer.Fit(data);
        var linear = fitted.Model.SubModel;
        var weights = new float[n];
        for (int j = 0; j < n; j++) weights[j] = linear.Weights[j];
        var model = new FlowClassifierModel(meanF, scaleF, weights, linear.Bias, threshold);

        // The exported model must score as ML.NET does (its calibrated probability of logistic regression).
        int checkedRows = 0;
        foreach (float p in fitted.Transform(data).GetColumn<float>("Probability"))
        {
            double mine = model.Probability(raw[checkedRows]);
            if (Math.Abs(mine - p) > 1e-3) throw new InvalidOperationException($"exported model disagrees with ML.NET on row {checkedRows}: {mine} vs {p}");
            if (++checkedRows == Math.Min(200, raw.Length)) break;
        }

        return model;
    }

    private static SchemaDefinition SchemaFor(MLContext ml, int n)
    {
        _ = ml;
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, n);
        return schema;
    }

    /// <summary>One training row as ML.NET reads it.</summary>
    public sealed class Row
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}

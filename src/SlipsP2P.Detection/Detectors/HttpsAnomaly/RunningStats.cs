namespace SlipsP2P.Detection.Detectors.HttpsAnomaly;

/// <summary>
/// Mean and variance of one feature: Welford's algorithm while training, then an exponentially weighted mean and
/// variance (West's EWMA form) so the baseline follows slow drift. z-scores use a variance floor so that a host whose
/// flows were all alike does not call every tiny change infinite.
/// </summary>
public struct RunningStats
{
    private double _m2;

    /// <summary>Observations folded in.</summary>
    public long Count { get; private set; }

    /// <summary>The current mean.</summary>
    public double Mean { get; private set; }

    /// <summary>The current variance.</summary>
    public double Variance { get; private set; }

    /// <summary>Standard deviation.</summary>
    public readonly double StdDev => Math.Sqrt(Variance);

    /// <summary>Welford update (training).</summary>
    public void AddWelford(double x)
    {
        Count++;
        double d = x - Mean;
        Mean += d / Count;
        _m2 += d * (x - Mean);
        Variance = Count > 1 ? _m2 / (Count - 1) : 0;
    }

    /// <summary>EWMA update with weight <paramref name="alpha"/> (adaptation).</summary>
    public void AddEwma(double x, double alpha)
    {
        Count++;
        double d = x - Mean;
        Mean += alpha * d;
        Variance = (1 - alpha) * (Variance + (alpha * d * d));
    }

    /// <summary>The z-score of <paramref name="x"/>; the standard deviation is at least <paramref name="minStdDev"/>.</summary>
    public readonly double ZScore(double x, double minStdDev) => (x - Mean) / Math.Max(StdDev, minStdDev);
}

namespace SlipsP2P.Detection.Detectors;

/// <summary>
/// A detector whose state has caps: what the caps refused (new keys, values, waiting records) is counted here, and
/// the pipeline adds it to <see cref="PipelineStats.Dropped"/> for the run summary.
/// </summary>
public interface IBoundedState
{
    /// <summary>Keys, values or records not tracked because a cap was reached.</summary>
    long Dropped { get; }
}

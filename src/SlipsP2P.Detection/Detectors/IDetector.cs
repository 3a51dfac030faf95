namespace SlipsP2P.Detection.Detectors;

/// <summary>
/// A detector: sees every flow and record that survived the flow whitelist, in input order, and raises evidence
/// through the <see cref="DetectionContext"/>. Detectors keep their state per time window and drop it when asked.
/// </summary>
public interface IDetector
{
    /// <summary>Short name for messages and statistics.</summary>
    string Name { get; }

    /// <summary>
    /// The records this detector handles; the pipeline offers it only those (read once, when the pipeline is built).
    /// A detector that names fewer than <see cref="RecordKinds.All"/> must do nothing for the others.
    /// </summary>
    RecordKinds HandledKinds => RecordKinds.All;

    /// <summary>
    /// The records without which this detector can raise nothing (None: it can always raise). When the input can
    /// produce none of them (<see cref="AnalysisPipeline.InputKinds"/>: an Argus binetflow has only flows), the pipeline
    /// leaves the detector out of the records' dispatch; it still gets <see cref="OnFinish"/> and
    /// <see cref="EvictBefore"/>.
    /// </summary>
    RecordKinds NeededKinds => RecordKinds.None;

    /// <summary>
    /// Called once per flow. The record is the detector's only until it returns: the analysis may reuse its object for
    /// a later flow (<see cref="IEventSink.KeepsRecords"/>), so a detector that needs it later keeps a
    /// <see cref="FlowRecord.Clone"/> or the values themselves.
    /// </summary>
    void OnFlow(FlowRecord flow, DetectionContext ctx);

    /// <summary>Called once per non-flow record (DNS, HTTP, TLS, SSH, notice, ARP).</summary>
    void OnRecord(NetEvent record, DetectionContext ctx);

    /// <summary>End of input: raise whatever was waiting for more data.</summary>
    void OnFinish(DetectionContext ctx);

    /// <summary>Drops the state of every window numbered below <paramref name="window"/>.</summary>
    void EvictBefore(int window);
}

/// <summary>
/// A detector whose per-flow tables are large enough to miss the cache: told of a flow a few flows before it comes
/// (<see cref="IEventSink.Prefetch"/>), it starts loading the table entries its <see cref="IDetector.OnFlow"/> will read.
/// It must change nothing.
/// </summary>
public interface IFlowPrefetch
{
    /// <summary>Starts loading what <paramref name="flow"/>, in <paramref name="window"/>, will read.</summary>
    void Prefetch(FlowRecord flow, int window);
}

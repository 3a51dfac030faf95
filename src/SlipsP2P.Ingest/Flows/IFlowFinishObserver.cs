namespace SlipsP2P.Ingest.Flows;

/// <summary>
/// Told by a <see cref="FlowTable"/> sweep or flush which flow it finishes next, before that flow's records reach
/// the sink: the key under which a worker's records merge back into the single-table order.
/// </summary>
internal interface IFlowFinishObserver
{
    /// <summary>The next flow to finish: its finish time (its start on a flush), its start and its first packet number.</summary>
    void BeforeFinish(double finishTime, double start, long firstPacket);
}

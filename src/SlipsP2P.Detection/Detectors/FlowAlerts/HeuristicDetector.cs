namespace SlipsP2P.Detection.Detectors.FlowAlerts;

/// <summary>
/// Base of the flow-alert heuristics: every hook does nothing unless overridden, so a heuristic states only what it
/// looks at. Shared helpers build evidence with Slips' field conventions.
/// </summary>
public abstract class HeuristicDetector : IDetector
{
    public abstract string Name { get; }

    /// <summary>Every record unless a heuristic names the ones it looks at.</summary>
    public virtual RecordKinds HandledKinds => RecordKinds.All;

    /// <summary>None unless a heuristic can raise nothing without some records (see <see cref="IDetector.NeededKinds"/>).</summary>
    public virtual RecordKinds NeededKinds => RecordKinds.None;

    public virtual void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
    }

    public virtual void OnRecord(NetEvent record, DetectionContext ctx)
    {
    }

    public virtual void OnFinish(DetectionContext ctx)
    {
    }

    public virtual void EvictBefore(int window)
    {
    }

    /// <summary>The record's uid as a one-element list, or empty.</summary>
    protected static IReadOnlyList<string> UidOf(NetEvent record) =>
        record.Uid.Length > 0 ? [record.Uid] : Array.Empty<string>();

    /// <summary>Builds an evidence about a flow-like record with the attacker as its source.</summary>
    protected static Evidence Make(NetEvent record, string type, ThreatLevel level, double confidence, string description,
                                   Protocol protocol = Protocol.Other, IReadOnlyList<string>? uids = null) => new()
    {
        Type = type,
        Description = description,
        Attacker = record.Source,
        Victim = record.Destination,
        ThreatLevel = level,
        Confidence = confidence,
        Timestamp = record.Timestamp,
        Protocol = protocol,
        Port = record.DestinationPort,
        Uids = uids ?? UidOf(record),
    };
}

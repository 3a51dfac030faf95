using System.Runtime.CompilerServices;

namespace SlipsP2P.Detection.Detectors.LongConnection;

/// <summary>
/// Long connections (Slips' flow_alerts <c>check_long_connection</c>): a flow lasting more than
/// <see cref="DetectorOptions.LongConnectionThreshold"/> seconds, unless either end is multicast. LOW, with a
/// confidence that reaches 1 at 24 hours.
/// </summary>
public sealed class LongConnectionDetector : IDetector
{
    public string Name => "long_connection";

    public RecordKinds HandledKinds => RecordKinds.Flow;

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (!(flow.Duration > ctx.Detectors.LongConnectionThreshold)) return;
        if (flow.Source.IsMulticast || flow.Destination.IsMulticast || flow.Source.IsNone) return;
        Raise(flow, ctx);
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx)
    {
        double confidence = Math.Round(Math.Min(1.0, flow.Duration / 86400.0), 2);
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.LongConnection,
            Description = $"Long Connection. Connection from {flow.Source} to destination address: {flow.Destination} "
                          + $"took {(long)(flow.Duration / 60)} mins. Confidence: {Addresses.FormatConfidence(confidence)}.",
            Attacker = flow.Source,
            Victim = flow.Destination,
            ThreatLevel = ThreatLevel.Low,
            Confidence = confidence,
            Timestamp = flow.Timestamp,
            Protocol = flow.Protocol,
            Port = flow.DestinationPort,
            Uids = flow.Uid.Length > 0 ? [flow.Uid] : Array.Empty<string>(),
        });
    }

    public void OnRecord(NetEvent record, DetectionContext ctx)
    {
    }

    public void OnFinish(DetectionContext ctx)
    {
    }

    public void EvictBefore(int window)
    {
    }
}

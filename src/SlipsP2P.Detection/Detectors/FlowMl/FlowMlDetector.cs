namespace SlipsP2P.Detection.Detectors.FlowMl;

/// <summary>
/// Slips' flowmldetection in test mode: every flow is scored by the trained <see cref="FlowClassifierModel"/>; a
/// probability at or above its threshold raises MALICIOUS_FLOW, LOW as in Slips, with the probability as the
/// confidence. O(1) per flow: one feature vector on the stack and a dot product.
/// </summary>
public sealed class FlowMlDetector : IDetector
{
    private readonly FlowClassifierModel _model;

    public FlowMlDetector(FlowClassifierModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    public string Name => "flow_ml_detection";

    public RecordKinds HandledKinds => RecordKinds.Flow;

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (flow.Source.IsNone) return;
        double p = _model.Probability(flow);
        if (!(p >= _model.Threshold)) return;
        double confidence = Math.Round(p, 2);
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.MaliciousFlow,
            Description = $"Malicious flow by ML. Src IP {flow.Source}:{flow.SourcePort} to {flow.Destination}:{flow.DestinationPort}/{flow.Protocol.ToName()}, " +
                          $"probability {FlowClassifierModel.FormatProbability(p)}. Confidence: {Addresses.FormatConfidence(confidence)}.",
            Attacker = flow.Source,
            Victim = flow.Destination,
            ThreatLevel = ThreatLevel.Low,
            Confidence = confidence,
            Timestamp = flow.Timestamp,
            Protocol = flow.Protocol,
            Port = flow.DestinationPort,
            Method = "Model",
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

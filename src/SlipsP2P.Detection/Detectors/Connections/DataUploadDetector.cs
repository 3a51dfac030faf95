using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// Data upload (Slips' conn <c>detect_data_upload_in_twid</c> and the one-flow check): a source sending at least
/// <see cref="FlowAlertOptions.DataUploadMegabytes"/> MB to one public IP in a window, or
/// <see cref="FlowAlertOptions.DataUploadFlowMegabytes"/> MB in one flow. Like Slips, two evidence: INFO/0.6 on the
/// uploading source and HIGH/0.6 on the receiving destination (which does not count towards the source's alert).
/// </summary>
public sealed class DataUploadDetector : HeuristicDetector
{
    private const double MegaByte = 1024 * 1024;
    private readonly WindowedStore<(IpAddr Src, IpAddr Dst), State> _store = new(() => new State(), 200_000);

    public override string Name => "data_upload";

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (flow.SourceBytes <= 0 || flow.Destination.IsPrivate || flow.Destination.IsSpecial || flow.Destination.IsBroadcast) return;
        var opts = ctx.Options.FlowAlerts;
        if (flow.SourceBytes >= opts.DataUploadFlowMegabytes * MegaByte)
        {
            Raise(flow, ctx, flow.SourceBytes, UidOf(flow), "in one flow");
            return;
        }

        var state = _store.GetOrCreate(ctx.TimeWindow, (flow.Source, flow.Destination));
        if (state is null || state.Reported) return;
        state.Bytes += flow.SourceBytes;
        state.Uids.Add(flow.Uid);
        if (state.Bytes < opts.DataUploadMegabytes * MegaByte) return;
        state.Reported = true;
        Raise(flow, ctx, state.Bytes, state.Uids.Snapshot(), "in one time window");
    }

    public override void EvictBefore(int window) => _store.EvictBefore(window);

    private static void Raise(FlowRecord flow, DetectionContext ctx, long bytes, IReadOnlyList<string> uids, string how)
    {
        double mb = Math.Round(bytes / MegaByte, 2);
        string text = $"Large data upload. {mb.ToString(System.Globalization.CultureInfo.InvariantCulture)} MBs sent to {flow.Destination} {how}.";
        ctx.Raise(Make(flow, EvidenceTypes.DataUpload, ThreatLevel.Info, 0.6, text, flow.Protocol, uids));
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.DataUpload,
            Description = text,
            Attacker = flow.Destination,
            Direction = AttackerDirection.Destination,
            Victim = flow.Source,
            ThreatLevel = ThreatLevel.High,
            Confidence = 0.6,
            Timestamp = flow.Timestamp,
            Protocol = flow.Protocol,
            Port = flow.DestinationPort,
            Uids = uids,
        });
    }

    private sealed class State
    {
        public long Bytes;
        public bool Reported;
        public UidList Uids = new();
    }
}

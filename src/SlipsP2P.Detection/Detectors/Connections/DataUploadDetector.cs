using System.Runtime.CompilerServices;
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
    private readonly WindowedValues<(IpAddr Src, IpAddr Dst), State> _store = new(200_000);

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

        ref var state = ref _store.GetOrAdd(ctx.TimeWindow, (flow.Source, flow.Destination), out _);
        if (Unsafe.IsNullRef(ref state) || state.Reported) return;
        state.Bytes += flow.SourceBytes;
        state.AddUid(flow.Uid);
        if (state.Bytes < opts.DataUploadMegabytes * MegaByte) return;
        state.Reported = true;
        Raise(flow, ctx, state.Bytes, state.Uids(), "in one time window");
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

    /// <summary>One (source, destination) pair in one window, held in the store itself.</summary>
    private struct State
    {
        public long Bytes;
        public bool Reported;
        private string? _oneUid;
        private UidList? _uids;

        public void AddUid(string uid)
        {
            if (string.IsNullOrEmpty(uid)) return;
            if (_uids is null && _oneUid is null)
            {
                _oneUid = uid;
                return;
            }

            if (_uids is null)
            {
                _uids = new UidList();
                _uids.Add(_oneUid!);
                _oneUid = null;
            }

            _uids.Add(uid);
        }

        public readonly IReadOnlyList<string> Uids() =>
            _uids is not null ? _uids.Snapshot() : _oneUid is not null ? [_oneUid] : Array.Empty<string>();
    }
}

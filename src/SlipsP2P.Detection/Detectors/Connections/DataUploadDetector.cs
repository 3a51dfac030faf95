using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;
using SlipsP2P.Detection.Profiling;

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
    private readonly WindowedValues<(IpAddr Src, IpAddr Dst), State, AddressPairKey> _store = new(200_000);

    // IPv4 pairs under an 8-byte key (the general key takes 32; issue 5: 100,000 pairs on the 2M-packet generated
    // capture), each store capped as the general one.
    private readonly WindowedValues<ulong, State, PackedKey> _v4Pairs = new(200_000);

    public override string Name => "data_upload";

    public override RecordKinds HandledKinds => RecordKinds.Flow;

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

        ref var state = ref PackedKeys.TryPair(flow.Source, flow.Destination, out ulong pair)
            ? ref _v4Pairs.GetOrAdd(ctx.TimeWindow, pair, out _)
            : ref _store.GetOrAdd(ctx.TimeWindow, (flow.Source, flow.Destination), out _);
        if (Unsafe.IsNullRef(ref state) || state.Reported) return;
        state.Bytes += flow.SourceBytes;
        state.AddUid(flow.Uid);
        if (state.Bytes < opts.DataUploadMegabytes * MegaByte) return;
        state.Reported = true;
        Raise(flow, ctx, state.Bytes, state.Uids(), "in one time window");
    }

    public override void EvictBefore(int window)
    {
        _store.EvictBefore(window);
        _v4Pairs.EvictBefore(window);
    }

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
        // Reported is the sign bit of the byte count: 8 bytes less per pair (issue 5).
        private long _bytesAndReported;

        public long Bytes
        {
            readonly get => _bytesAndReported & long.MaxValue;
            set => _bytesAndReported = (value & long.MaxValue) | (_bytesAndReported & long.MinValue);
        }

        public bool Reported
        {
            readonly get => _bytesAndReported < 0;
            set => _bytesAndReported = value ? _bytesAndReported | long.MinValue : _bytesAndReported & long.MaxValue;
        }

        // The only uid so far packed (most pairs see one flow), or in _more when it does not pack; from the second
        // uid on, _more is the list.
        private PackedUid _one;
        private object? _more;

        public void AddUid(string uid)
        {
            if (string.IsNullOrEmpty(uid)) return;
            if (_more is UidList uids)
            {
                uids.Add(uid);
                return;
            }

            if (_more is null && _one.IsEmpty)
            {
                if (!PackedUid.TryPack(uid, out _one)) _more = uid;
                return;
            }

            uids = new UidList();
            uids.Add(_more as string, _one);
            uids.Add(uid);
            _one = default;
            _more = uids;
        }

        public readonly IReadOnlyList<string> Uids() => _more switch
        {
            UidList uids => uids.Snapshot(),
            string one => [one],
            _ => _one.IsEmpty ? Array.Empty<string>() : [_one.ToString()],
        };
    }
}

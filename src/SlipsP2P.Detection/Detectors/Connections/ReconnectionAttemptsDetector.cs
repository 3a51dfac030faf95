using System.Runtime.CompilerServices;
using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// Multiple reconnection attempts (Slips' conn <c>check_multiple_reconnection_attempts</c>): every
/// <see cref="FlowAlertOptions.ReconnectionAttempts"/> rejected TCP connections from one source to one
/// destination IP and port in a window raise MEDIUM evidence with confidence 0.5, and the counter starts again.
/// </summary>
public sealed class ReconnectionAttemptsDetector : HeuristicDetector
{
    private const int MaxKeysPerWindow = 100_000;

    private readonly WindowedStore<(IpAddr Src, IpAddr Dst, ushort Port), State> _store = new(() => new State(), MaxKeysPerWindow);

    public override string Name => "reconnection_attempts";

    public override RecordKinds HandledKinds => RecordKinds.Flow;

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (flow.Protocol != Protocol.Tcp || flow.Established) return;
        // Rejected attempts only (Zeek REJ, or a SYN answered by a reset): unanswered SYNs are scans' business.
        if (flow.State is not (ConnState.REJ or ConnState.RSTOS0 or ConnState.RSTR)) return;
        if (!Addresses.IsScanTarget(flow.Destination)) return;
        var state = _store.GetOrCreate(ctx.TimeWindow, (flow.Source, flow.Destination, flow.DestinationPort));
        if (state is null) return;
        state.Count++;
        state.Uids.Add(flow.Uid);
        int threshold = ctx.Options.FlowAlerts.ReconnectionAttempts;
        if (state.Count < threshold) return;
        Raise(flow, ctx, state);
        state.Count = 0;
        state.Uids = new UidList();
    }

    // Evidence only: kept out of the per-flow method so that its tier-1 code stays small (the interpolated text
    // inlines into a kilobyte of code the JIT recompiled for every flow detector).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Raise(FlowRecord flow, DetectionContext ctx, State state) =>
        ctx.Raise(Make(flow, EvidenceTypes.MultipleReconnectionAttempts, ThreatLevel.Medium, 0.5,
            $"Multiple reconnection attempts to Destination IP: {flow.Destination} from IP: {flow.Source} reconnections: {state.Count}",
            Protocol.Tcp, state.Uids.Snapshot()));

    public override void EvictBefore(int window) => _store.EvictBefore(window);

    private sealed class State
    {
        public int Count;
        public UidList Uids = new();
    }
}

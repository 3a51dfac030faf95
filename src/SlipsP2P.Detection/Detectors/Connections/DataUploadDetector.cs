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
public sealed class DataUploadDetector : HeuristicDetector, IFlowPrefetch
{
    private const double MegaByte = 1024 * 1024;
    private readonly WindowedValues<(IpAddr Src, IpAddr Dst), State, AddressPairKey> _store = new(200_000);

    // IPv4 pairs under an 8-byte key (the general key takes 32; issue 5: 100,000 pairs on the 2M-packet generated
    // capture), each store capped as the general one.
    private readonly WindowedValues<ulong, State, PackedKey> _v4Pairs = new(200_000);

    // The uid lists of the pairs with more than one uid (or one that does not pack), per window, each state pointing at
    // its own by index: the states then hold no reference, so their arrays (100,000 pairs) are 32 bytes an entry instead
    // of 40 and are not scanned by every collection of the young generation (issue 5).
    private readonly Dictionary<int, List<UidList>> _lists = new();

    // A pair's only uid is kept in the state as its code when the node numbered it (PackedUid.TryGetCode: every flow of
    // a capture or live traffic); another uid that packs (a Zeek log's) is kept here, per window, the state holding its
    // index. States are then 16 bytes, 24 an entry with the key, where a packed uid made them 32 (issue 5).
    private readonly Dictionary<int, PagedList<PackedUid>> _otherUids = new();

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
        AddUid(ref state, flow, ctx.TimeWindow);
        if (state.Bytes < opts.DataUploadMegabytes * MegaByte) return;
        state.Reported = true;
        Raise(flow, ctx, state.Bytes, Uids(in state, ctx.TimeWindow), "in one time window");
    }

    public void Prefetch(FlowRecord flow, int window)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.SourceBytes > 0 && PackedKeys.TryPair(flow.Source, flow.Destination, out ulong pair)) _v4Pairs.Prefetch(window, pair);
    }

    public override void EvictBefore(int window)
    {
        _store.EvictBefore(window);
        _v4Pairs.EvictBefore(window);
        EvictBefore(_lists, window);
        EvictBefore(_otherUids, window);
    }

    private static void EvictBefore<T>(Dictionary<int, T> byWindow, int window)
    {
        if (byWindow.Count == 0) return;
        foreach (int w in byWindow.Keys)
        {
            if (w < window) byWindow.Remove(w);
        }
    }

    private void AddUid(ref State state, FlowRecord flow, int window)
    {
        if (state.HasList)
        {
            _lists[window][state.List].AddUidOf(flow);
            return;
        }

        bool packs = flow.TryGetPackedUid(out var packed);
        if (packs && packed.IsEmpty) return;
        if (state.IsEmpty && packs)
        {
            if (packed.TryGetCode(out ulong code))
            {
                state.SetCode(code);
                return;
            }

            if (!_otherUids.TryGetValue(window, out var others)) _otherUids[window] = others = new PagedList<PackedUid>();
            state.SetOther(others.Add(packed));
            return;
        }

        // The second uid, or one that does not pack: the pair's uids move to a list of their own.
        var uids = new UidList();
        var one = OneOf(in state, window);
        if (!one.IsEmpty) uids.Add(null, one);
        uids.AddUidOf(flow);
        if (!_lists.TryGetValue(window, out var lists)) _lists[window] = lists = new List<UidList>();
        state.SetList(lists.Count);
        lists.Add(uids);
    }

    private IReadOnlyList<string> Uids(in State state, int window) =>
        state.HasList ? _lists[window][state.List].Snapshot()
        : state.IsEmpty ? Array.Empty<string>() : [OneOf(in state, window).ToString()];

    /// <summary>The pair's only uid (empty when none, or when its uids are in a list).</summary>
    private PackedUid OneOf(in State state, int window) =>
        state.HasList || state.IsEmpty ? default
        : state.TryGetCode(out ulong code) ? PackedUid.FromCode(code)
        : _otherUids[window][state.OtherIndex];

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

    /// <summary>
    /// One (source, destination) pair in one window, held in the store itself: 16 bytes, the bytes sent with two flags,
    /// and the pair's only uid (its code, or its index in the window's other uids) or, once it has a list
    /// (<see cref="HasList"/>), the list's index.
    /// </summary>
    private struct State
    {
        private const long ReportedBit = long.MinValue;
        private const long ListBit = 1L << 62;
        private const long BytesMask = ListBit - 1;

        // Without ListBit: 0 for no uid, a numbered uid's code (PackedUid.TryGetCode), else the other uid's index plus one.
        private long _bytesAndFlags;
        private ulong _uid;

        public long Bytes
        {
            readonly get => _bytesAndFlags & BytesMask;
            set => _bytesAndFlags = (value & BytesMask) | (_bytesAndFlags & ~BytesMask);
        }

        public bool Reported
        {
            readonly get => (_bytesAndFlags & ReportedBit) != 0;
            set => _bytesAndFlags = value ? _bytesAndFlags | ReportedBit : _bytesAndFlags & ~ReportedBit;
        }

        public readonly bool HasList => (_bytesAndFlags & ListBit) != 0;

        /// <summary>True while the pair has no uid (and no list).</summary>
        public readonly bool IsEmpty => !HasList && _uid == 0;

        /// <summary>The code of the pair's only uid; false when it has none, a list, or another uid.</summary>
        public readonly bool TryGetCode(out ulong code)
        {
            code = _uid;
            return !HasList && PackedUid.IsCode(_uid);
        }

        /// <summary>The index of the pair's only uid among the window's other uids.</summary>
        public readonly int OtherIndex => (int)_uid - 1;

        /// <summary>The index of the pair's uid list in its window's lists.</summary>
        public readonly int List => (int)_uid;

        public void SetCode(ulong code) => _uid = code;

        public void SetOther(int index) => _uid = (ulong)index + 1;

        /// <summary>Moves the pair's uids to the list at <paramref name="index"/> (replacing its only uid).</summary>
        public void SetList(int index)
        {
            _uid = (ulong)index;
            _bytesAndFlags |= ListBit;
        }
    }
}

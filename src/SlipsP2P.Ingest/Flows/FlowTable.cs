using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SlipsP2P.Core;
using SlipsP2P.Ingest.App;
using SlipsP2P.Ingest.Packets;

namespace SlipsP2P.Ingest.Flows;

/// <summary>
/// Builds bidirectional flows from decoded packets the way Zeek's conn.log does: the originator is the sender of the
/// first packet (for TCP the SYN sender; a SYN-ACK seen first makes the other side the originator), TCP endpoint
/// states follow Zeek's TCP analyzer, and conn_state and history are derived from them. Flows are emitted to the
/// sink as they finish (inactivity timeouts on the packet clock, 5 s after a full close or reset, 3 s after a
/// half-close, 5 s after an unanswered SYN), and all remaining flows on <see cref="Flush"/>.
/// </summary>
/// <remarks>
/// Hot path: a <see cref="FlowIndex"/> (open addressing) from <see cref="FlowKey"/> to a slot in a chunked struct
/// array, a free list for slots, no allocation per packet. Objects are created per flow (the record, its uid) and per
/// application-layer record only.
/// </remarks>
public sealed class FlowTable
{
    /// <summary>Seconds after a full close or reset before Zeek removes a connection (tcp_close_delay).</summary>
    public const double CloseDelay = 5;
    /// <summary>Seconds an unanswered SYN waits before the attempt is reported (tcp_attempt_delay).</summary>
    public const double AttemptDelay = 5;
    /// <summary>Seconds after the first FIN before a half-closed connection is reported (tcp_partial_close_delay).</summary>
    public const double PartialCloseDelay = 3;
    /// <summary>Application-layer payload packets inspected per direction.</summary>
    public const int MaxInspectedPackets = 10;
    /// <summary>DNS messages inspected per flow (DNS flows are short; a busy resolver pair is capped).</summary>
    public const int MaxDnsPackets = 64;

    /// <summary>Seconds of packet clock between sweeps for finished flows.</summary>
    internal const double SweepInterval = 1;
    private const int MaxCachedTexts = 4096;
    /// <summary>How many flows ahead of the one being finished a sweep prefetches application state for.</summary>
    private const int PrefetchAhead = 16;
    /// <summary>How many flows ahead a sweep makes the records of the flows it finishes (a power of two).</summary>
    private const int RecordsAhead = 4;
    /// <summary>A whole slot (four cache lines): the sweep reads its times and states, a finish nearly every field.</summary>
    private static readonly int SlotPrefetchBytes = Unsafe.SizeOf<FlowState>();

    /// <summary>Slots the table starts with and never shrinks below.</summary>
    internal const int MinCapacity = 1024;

    /// <summary>Slots per chunk of the slot store (a power of two).</summary>
    private const int ChunkBits = 8;
    private const int ChunkSize = 1 << ChunkBits;

    // Zeek's state names, made once (ToZeek boxes the enum and formats it on every call).
    private static readonly string[] s_stateText = MakeStateText();

    private readonly AnalysisOptions _options;
    private readonly IEventSink _sink;
    private readonly FlowIndex _index = new(MinCapacity);
    private readonly List<AppState?> _apps = new();
    private readonly Stack<int> _freeApps = new();
    private readonly List<Expired> _expired = new();
    private readonly List<int> _candidates = new();
    private readonly FlowRecord?[] _ready = new FlowRecord?[RecordsAhead];

    // Flow records the sink is done with (it keeps none, IEventSink.KeepsRecords), reused for later flows: a record
    // object per flow was a third of what a capture's analysis allocated (issue 5, 54 of 170 MB on the 2M capture).
    private readonly bool _reuseRecords;
    private readonly RecycledFlows _records = new() { Free = new() };
    private readonly Dictionary<ulong, string> _historyText = new();
    private readonly Dictionary<ulong, string> _macText = new();
    // Slots in chunks of ChunkSize (about 54 KB each, below the large object heap): growing adds chunks instead of
    // copying one array into another twice its size (a doubling array allocated twice the busiest moment's slots,
    // on the large object heap, a quarter of what capture-to-flows allocated).
    private FlowState[]?[] _chunks = NewChunks(MinCapacity / ChunkSize);
    private int _chunkCount = MinCapacity / ChunkSize;
    private int _highWater;

    // Per slot, a time before which the flow cannot finish: its exact finish time as the last sweep worked it out,
    // minus infinity once a packet has changed the flow (FinishTime depends only on the flow's state), plus infinity
    // for a free slot. A sweep reads this compact array and looks at a flow's 212-byte slot only when it may be due:
    // most live flows are idle between sweeps, and walking their slots was a tenth of the ingest thread.
    private double[] _due = new double[MinCapacity];
    private int[] _free = new int[64];
    private int _freeCount;
    private long _counter;
    private ulong _uidSeed;
    private bool _seeded;
    private double _now = double.NegativeInfinity;
    private double _nextSweep = double.NegativeInfinity;

    /// <summary>Creates a table that emits into <paramref name="sink"/>.</summary>
    public FlowTable(AnalysisOptions options, IEventSink sink, bool inspectApplications = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        _options = options;
        _sink = sink;
        _reuseRecords = !sink.KeepsRecords;
        InspectApplications = inspectApplications;
    }

    /// <summary>Whether DNS/HTTP/TLS/SSH records are extracted.</summary>
    public bool InspectApplications { get; }

    /// <summary>
    /// Whether each flow record gets its Community ID and AID here (on by default). Two SHA-1 hashes per flow were a
    /// quarter of the CPU of a capture analysis, and nothing in detection reads them, so a caller that only writes
    /// them (the Zeek flow writer fills empty ones) turns this off.
    /// </summary>
    public bool ComputeFlowIds { get; set; } = true;

    /// <summary>
    /// Whether DNS records carry their answers' TTLs (on by default). Only a written dns.log reads them; an analysis
    /// that writes none turns this off, and a response no longer makes an array of them.
    /// </summary>
    public bool KeepDnsTtls { get; set; } = true;

    /// <summary>
    /// Uids and same-time ordering from the flow's first packet number instead of a per-table counter, so that a flow
    /// gets the same uid and place whichever table (worker) holds it. Needs unique, increasing packet numbers.
    /// </summary>
    internal bool PacketNumberIdentity { get; set; }

    /// <summary>
    /// The clock is driven from outside (<see cref="SweepAt"/>): <see cref="Process"/> does not sweep. A worker's table
    /// sweeps exactly where the single table would have, at checkpoints of the global packet clock.
    /// </summary>
    internal bool ExternalClock { get; set; }

    /// <summary>Called before each flow a sweep or flush finishes, with its ordering key (finish time, start, first packet).</summary>
    internal IFlowFinishObserver? FinishObserver { get; set; }

    /// <summary>Flows currently open.</summary>
    public int ActiveFlows => _index.Count;

    /// <summary>Flow slots allocated: grows with the open flows and is given back once they are far fewer.</summary>
    internal int Capacity => _chunkCount * ChunkSize;

    /// <summary>Flows emitted so far.</summary>
    public long FlowsEmitted { get; private set; }

    /// <summary>Application-layer records emitted so far.</summary>
    public long AppRecordsEmitted { get; private set; }

    /// <summary>The packet clock: the largest timestamp seen.</summary>
    public double Now => _now;

    /// <summary>Seeds the uids explicitly (otherwise the first packet's timestamp seeds them).</summary>
    public void SeedUids(ulong seed)
    {
        _uidSeed = seed;
        _seeded = true;
    }

    /// <summary>The uid seed a table takes from the timestamp of its first IP packet.</summary>
    internal static ulong UidSeedFor(double firstTimestamp) => (ulong)BitConverter.DoubleToInt64Bits(firstTimestamp) ^ 0x5EED_51195_0001UL;

    /// <summary>Accounts one decoded IP packet (status <see cref="DecodeStatus.Ip"/>) seen at <paramref name="timestamp"/>.</summary>
    public void Process(ref DecodedPacket p, double timestamp, long packetNumber)
    {
        if (!_seeded)
        {
            SeedUids(UidSeedFor(timestamp));
        }

        if (!ExternalClock) Advance(timestamp);
        else if (timestamp > _now) _now = timestamp;

        byte proto = p.Protocol;
        bool isTcp = proto == 6;
        var key = FlowKey.Create(p.Source, p.SourcePort, p.Destination, p.DestinationPort, proto);
        ref int slotRef = ref _index.GetValueRefOrAddDefault(in key, new SlotKeys(this), out bool exists);
        int slot;
        if (!exists)
        {
            slot = NewSlot();
            slotRef = slot;
            InitFlow(ref Slot(slot), key, ref p, timestamp, packetNumber);
        }
        else
        {
            slot = slotRef;
            if (isTcp && (p.Flags & (TcpControlBits.Syn | TcpControlBits.Ack)) == TcpControlBits.Syn && IsReuse(ref Slot(slot)))
            {
                // Port reuse after a close (Zeek's IsReuse): the old connection is done, a new one begins.
                Finish(slot);
                slot = NewSlot();
                _index.GetValueRefOrAddDefault(in key, new SlotKeys(this), out _) = slot;
                InitFlow(ref Slot(slot), key, ref p, timestamp, packetNumber);
            }
        }

        _due[slot] = double.NegativeInfinity; // this packet may have moved the finish time either way
        ref FlowState f = ref Slot(slot);
        bool fromOrig = p.Source == f.Orig && p.SourcePort == f.OrigPort;
        if (timestamp > f.Last) f.Last = timestamp;
        int payload = p.PayloadLength;
        if (fromOrig)
        {
            f.OrigPackets++;
            f.OrigIpBytes += p.IpLength;
        }
        else
        {
            f.RespPackets++;
            f.RespIpBytes += p.IpLength;
        }

        if (isTcp)
        {
            TcpUpdate(ref f, ref p, fromOrig, timestamp);
        }
        else if (fromOrig)
        {
            f.OrigBytes += payload;
        }
        else
        {
            f.RespBytes += payload;
        }

        if (InspectApplications && p.Payload.Length > 0 && (isTcp || proto == 17))
        {
            InspectPayload(ref f, ref p, fromOrig, timestamp);
        }
    }

    /// <summary>Moves the packet clock to <paramref name="now"/> and finishes the flows whose time is up.</summary>
    public void Advance(double now)
    {
        if (now > _now) _now = now;
        if (_now >= _nextSweep)
        {
            Sweep(_now, all: false);
            _nextSweep = _now + SweepInterval;
        }
    }

    /// <summary>A sweep at a checkpoint of the global packet clock (<see cref="ExternalClock"/>): as <see cref="Advance"/> would sweep.</summary>
    internal void SweepAt(double now)
    {
        if (now > _now) _now = now;
        Sweep(_now, all: false);
    }

    /// <summary>Finishes every open flow (end of input), in start order.</summary>
    public void Flush() => Sweep(_now, all: true);

    private int NewSlot()
    {
        if (_freeCount > 0) return _free[--_freeCount];
        if (_highWater == Capacity)
        {
            // One more chunk (the chunk list itself doubles: it holds only references).
            if (_chunkCount == _chunks.Length) Array.Resize(ref _chunks, _chunks.Length * 2);
            _chunks[_chunkCount++] = new FlowState[ChunkSize];
            if (_due.Length < Capacity) Array.Resize(ref _due, Math.Max(_due.Length * 2, Capacity));
        }

        return _highWater++;
    }

    private void InitFlow(ref FlowState f, FlowKey key, ref DecodedPacket p, double ts, long packetNumber)
    {
        f = default;
        f.InUse = true;
        f.Protocol = p.Protocol;
        f.Start = ts;
        f.Last = ts;
        f.FirstPacket = packetNumber;
        f.Counter = PacketNumberIdentity ? packetNumber : _counter++;
        f.App = -1;

        bool flip = false;
        if (p.Protocol == 6)
        {
            // A SYN-ACK first: its sender is the responder (Zeek flips the roles and notes '^').
            flip = (p.Flags & (TcpControlBits.Syn | TcpControlBits.Ack)) == (TcpControlBits.Syn | TcpControlBits.Ack);
        }
        else if (p.Protocol == 17)
        {
            flip = IsLikelyUdpServer(p.SourcePort) && !IsLikelyUdpServer(p.DestinationPort);
        }

        if (flip)
        {
            f.Orig = p.Destination;
            f.OrigPort = p.DestinationPort;
            f.Resp = p.Source;
            f.RespPort = p.SourcePort;
            f.OrigMac = p.DestinationMac;
            AddHistory(ref f, '^', fromOrig: true);
        }
        else
        {
            f.Orig = p.Source;
            f.OrigPort = p.SourcePort;
            f.Resp = p.Destination;
            f.RespPort = p.DestinationPort;
            f.OrigMac = p.SourceMac;
        }

        if (p.Protocol == 6 && !flip && (p.Flags & (TcpControlBits.Syn | TcpControlBits.Ack)) == TcpControlBits.Syn) f.AttemptAt = ts;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref FlowState Slot(int slot) => ref _chunks[slot >> ChunkBits]![slot & (ChunkSize - 1)];

    private static FlowState[]?[] NewChunks(int count)
    {
        var chunks = new FlowState[]?[count];
        for (int i = 0; i < count; i++) chunks[i] = new FlowState[ChunkSize];
        return chunks;
    }

    /// <summary>The flow's index key (not stored in the slot: it is the same tuple in canonical order).</summary>
    private static FlowKey KeyOf(ref FlowState f) => FlowKey.Create(f.Orig, f.OrigPort, f.Resp, f.RespPort, f.Protocol);

    private static bool IsLikelyUdpServer(ushort port) => port is 53 or 5353 or 123 or 137 or 67 or 69 or 161 or 500 or 1900;

    private static bool IsReuse(ref FlowState f)
    {
        bool closed = (f.OrigState is TcpEndpointState.Closed or TcpEndpointState.Reset && f.RespState is TcpEndpointState.Closed or TcpEndpointState.Reset)
                      || f.OrigState == TcpEndpointState.Reset || f.RespState == TcpEndpointState.Reset;
        // A fresh SYN (no ACK) after a full close or a reset starts a new connection, whichever side sends it.
        return closed;
    }

    private static void TcpUpdate(ref FlowState f, ref DecodedPacket p, bool fromOrig, double ts)
    {
        TcpControlBits flags = p.Flags;
        bool syn = (flags & TcpControlBits.Syn) != 0;
        bool fin = (flags & TcpControlBits.Fin) != 0;
        bool rst = (flags & TcpControlBits.Rst) != 0;
        bool ack = (flags & TcpControlBits.Ack) != 0;
        int len = p.PayloadLength;

        // Sequence tracking: payload bytes count once, as Zeek's sequence-based sizes do; data at or below the
        // highest sequence already seen is a retransmission ('T').
        uint seqStart = syn ? p.Sequence + 1 : p.Sequence;
        uint seqEnd = seqStart + (uint)len;
        ref bool known = ref fromOrig ? ref f.OrigSeqKnown : ref f.RespSeqKnown;
        ref uint maxEnd = ref fromOrig ? ref f.OrigSeqEnd : ref f.RespSeqEnd;
        bool retransmit = false;
        if (len > 0 && !rst)
        {
            if (!known)
            {
                known = true;
                maxEnd = seqEnd;
                AddBytes(ref f, fromOrig, len);
            }
            else
            {
                int advance = (int)(seqEnd - maxEnd);
                if (advance > 0)
                {
                    AddBytes(ref f, fromOrig, Math.Min(advance, len));
                    maxEnd = seqEnd;
                }
                else
                {
                    retransmit = true;
                }
            }
        }
        else if (!known && syn)
        {
            known = true;
            maxEnd = seqStart;
        }

        UpdateHistory(ref f, fromOrig, syn, fin, rst, ack, len, retransmit);
        if (p.Window == 0 && !rst && !syn && (flags & TcpControlBits.Ack) != 0) AddHistory(ref f, 'W', fromOrig);

        ref TcpEndpointState e = ref fromOrig ? ref f.OrigState : ref f.RespState;
        ref TcpEndpointState peer = ref fromOrig ? ref f.RespState : ref f.OrigState;
        ref TcpEndpointState ePrev = ref fromOrig ? ref f.OrigPrevState : ref f.RespPrevState;
        ref TcpEndpointState peerPrev = ref fromOrig ? ref f.RespPrevState : ref f.OrigPrevState;
        bool doClose = false;

        switch (e)
        {
            case TcpEndpointState.Inactive:
                if (syn)
                {
                    if (fromOrig)
                    {
                        Set(ref e, ref ePrev, ack ? TcpEndpointState.SynAckSent : TcpEndpointState.SynSent);
                    }
                    else
                    {
                        if (peer == TcpEndpointState.SynSent) Set(ref peer, ref peerPrev, TcpEndpointState.Established);
                        Set(ref e, ref ePrev, TcpEndpointState.Established);
                    }
                }

                if (fin)
                {
                    Set(ref e, ref ePrev, TcpEndpointState.Closed);
                    doClose = true;
                }

                if (rst)
                {
                    Set(ref e, ref ePrev, TcpEndpointState.Reset);
                    doClose = true;
                }

                if (e == TcpEndpointState.Inactive)
                {
                    if (!fromOrig && len == 0 && f.OrigState == TcpEndpointState.SynSent)
                    {
                        // An ACK of the SYN before the SYN-ACK: not a partial connection.
                    }
                    else if (ack && peer == TcpEndpointState.Established)
                    {
                        Set(ref e, ref ePrev, TcpEndpointState.Established);
                    }
                    else
                    {
                        Set(ref e, ref ePrev, TcpEndpointState.Partial);
                    }
                }

                break;
            case TcpEndpointState.SynSent or TcpEndpointState.SynAckSent:
                if (fin)
                {
                    Set(ref e, ref ePrev, TcpEndpointState.Closed);
                    doClose = true;
                }

                if (rst)
                {
                    Set(ref e, ref ePrev, TcpEndpointState.Reset);
                    doClose = true;
                }

                break;
            case TcpEndpointState.Established or TcpEndpointState.Partial:
                if (syn && e == TcpEndpointState.Partial && peer == TcpEndpointState.Inactive && !ack)
                {
                    Set(ref e, ref ePrev, TcpEndpointState.SynSent);
                }

                if (fin && !rst)
                {
                    Set(ref e, ref ePrev, TcpEndpointState.Closed);
                    if (peer == TcpEndpointState.Reset && peerPrev == TcpEndpointState.Closed) Set(ref peer, ref peerPrev, TcpEndpointState.Closed);
                    doClose = true;
                }

                if (rst)
                {
                    Set(ref e, ref ePrev, TcpEndpointState.Reset);
                    doClose = true;
                }

                break;
            case TcpEndpointState.Closed:
                if (rst && peer != TcpEndpointState.Closed)
                {
                    Set(ref e, ref ePrev, TcpEndpointState.Reset);
                    doClose = true;
                }

                break;
        }

        if (doClose)
        {
            ref bool didClose = ref fromOrig ? ref f.OrigDidClose : ref f.RespDidClose;
            bool peerDidClose = fromOrig ? f.RespDidClose : f.OrigDidClose;
            didClose = true;
            bool complete = e == TcpEndpointState.Reset || peerDidClose || peer == TcpEndpointState.Inactive;
            if (complete) f.CloseCompleteAt = ts;
            else if (f.HalfCloseAt == 0) f.HalfCloseAt = ts;
        }
    }

    private static void Set(ref TcpEndpointState state, ref TcpEndpointState previous, TcpEndpointState value)
    {
        if (state == value) return;
        previous = state;
        state = value;
    }

    private static void AddBytes(ref FlowState f, bool fromOrig, int count)
    {
        if (fromOrig) f.OrigBytes += count;
        else f.RespBytes += count;
    }

    private static void UpdateHistory(ref FlowState f, bool fromOrig, bool syn, bool fin, bool rst, bool ack, int len, bool retransmit)
    {
        // Zeek's update_history: one letter per kind of packet, upper case for the originator.
        int bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
        if (bits > 1)
        {
            AddHistory(ref f, fin && rst ? 'I' : 'Q', fromOrig);
        }
        else if (bits == 1)
        {
            if (syn) AddHistory(ref f, ack ? 'H' : 'S', fromOrig);
            else if (fin) AddHistory(ref f, 'F', fromOrig);
            else AddHistory(ref f, 'R', fromOrig);
        }
        else if (len > 0)
        {
            AddHistory(ref f, 'D', fromOrig);
        }
        else if (ack)
        {
            AddHistory(ref f, 'A', fromOrig);
        }

        if (retransmit) AddHistory(ref f, 'T', fromOrig);
    }

    private static int LetterBit(char c) => c switch
    {
        'S' => 0,
        'H' => 1,
        'A' => 2,
        'D' => 3,
        'F' => 4,
        'R' => 5,
        'T' => 6,
        'W' => 7,
        'I' => 8,
        'Q' => 9,
        '^' => 10,
        _ => 11,
    };

    private static void AddHistory(ref FlowState f, char letter, bool fromOrig)
    {
        int bit = LetterBit(letter) + (fromOrig || letter == '^' ? 0 : 16);
        uint mask = 1u << bit;
        if ((f.HistorySeen & mask) != 0 || f.HistoryLength >= 32) return;
        f.HistorySeen |= mask;
        f.History[f.HistoryLength++] = (byte)(fromOrig || letter == '^' ? letter : char.ToLowerInvariant(letter));
    }

    private void InspectPayload(ref FlowState f, ref DecodedPacket p, bool fromOrig, double ts)
    {
        bool dns = f.Protocol == 17 && (f.RespPort is 53 or 5353 || f.OrigPort is 53 or 5353);
        ref byte inspected = ref fromOrig ? ref f.InspectedOrig : ref f.InspectedResp;
        // A telnet client may type one character per packet: its login needs more packets than a banner does.
        int limit = dns ? MaxDnsPackets : f.App >= 0 && _apps[f.App]!.Kind == AppKind.Telnet ? TelnetLogin.MaxPackets : MaxInspectedPackets;
        if (inspected >= limit) return;
        inspected++;

        AppState? app = f.App >= 0 ? _apps[f.App] : null;
        if (app is null)
        {
            AppKind kind = AppState.Classify(f.Protocol, f.OrigPort, f.RespPort, p.Payload, fromOrig);
            if (kind == AppKind.None)
            {
                // Not recognised in the first payload packet of either side: stop looking at this flow.
                if (f.Protocol == 17 || (f.InspectedOrig > 0 && f.InspectedResp > 0)) inspected = (byte)limit;
                return;
            }

            if (_freeApps.Count > 0)
            {
                // A finished flow's state, kept for reuse (reset here).
                f.App = _freeApps.Pop();
                app = _apps[f.App]!;
                app.Reset(kind);
            }
            else
            {
                app = new AppState(kind) { KeepTtls = KeepDnsTtls };
                f.App = _apps.Count;
                _apps.Add(app);
            }
        }

        var id = new FlowIdentity(f.Orig, f.OrigPort, f.Resp, f.RespPort, f.Protocol, f.Start, f.FirstPacket, f.Counter, _uidSeed);
        AppRecordsEmitted += app.OnPayload(in id, fromOrig, p.Payload, ts, _sink);
    }

    private void Sweep(double now, bool all)
    {
        _expired.Clear();
        _candidates.Clear();
        // Over the compact due times, four at a time (most live flows are not due): only a slot that may be due is
        // looked at, in a second pass.
        double[] due = _due;
        int high = _highWater, i = 0;
        if (all)
        {
            for (; i < high; i++) _candidates.Add(i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(now);
            ref double first = ref MemoryMarshal.GetArrayDataReference(due);
            for (; i + 4 <= high; i += 4)
            {
                uint mask = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref first, (nuint)i), limit).ExtractMostSignificantBits();
                for (; mask != 0; mask &= mask - 1) _candidates.Add(i + BitOperations.TrailingZeroCount(mask));
            }
        }

        for (; i < high; i++)
        {
            if (due[i] <= now) _candidates.Add(i);
        }

        // The candidates' slots are mostly cold (idle flows, or flows a packet touched a while ago): each is asked for
        // a few slots ahead of its turn, so that the misses overlap instead of coming one after the other.
        Span<int> candidates = CollectionsMarshal.AsSpan(_candidates);
        for (int k = 0; k < candidates.Length; k++)
        {
            if (k + PrefetchAhead < candidates.Length) CacheHint.Prefetch(ref Slot(candidates[k + PrefetchAhead]), SlotPrefetchBytes);
            int slot = candidates[k];
            ref FlowState f = ref Slot(slot);
            if (!f.InUse) continue;
            double finish = all ? double.NegativeInfinity : FinishTime(ref f);
            if (all || finish <= now) _expired.Add(new Expired(all ? f.Start : finish, f.Start, f.FirstPacket, slot, f.App));
            else due[slot] = finish;
        }

        if (_expired.Count == 0) return;
        // Ties broken by the first packet before the slot: with PacketNumberIdentity the order is the same in any table.
        CollectionsMarshal.AsSpan(_expired).Sort(default(ExpiredOrder));
        IFlowFinishObserver? observer = FinishObserver;
        Span<Expired> expired = CollectionsMarshal.AsSpan(_expired);
        for (int k = 0; k < expired.Length; k++)
        {
            // The flows finished next waited out their timeout while other flows ran, and each one's detection pushed
            // them further out of the cache: their slot, application state and its lists are asked for in stages
            // ahead of their turn (each stage reads what the one before brought in).
            if (k + PrefetchAhead < expired.Length) PrefetchFinish(in expired[k + PrefetchAhead], 0);
            if (k + (PrefetchAhead / 2) < expired.Length) PrefetchFinish(in expired[k + (PrefetchAhead / 2)], 1);
            if (k + (PrefetchAhead / 4) < expired.Length) PrefetchFinish(in expired[k + (PrefetchAhead / 4)], 2);

            // The records are made RecordsAhead flows early, and the sink told of each (detection starts loading
            // the table entries it will read for it).
            if (k == 0)
            {
                for (int r = 0; r < RecordsAhead && r < expired.Length; r++) Ready(r, expired[r].Slot);
            }
            else if (k + RecordsAhead - 1 < expired.Length)
            {
                Ready(k + RecordsAhead - 1, expired[k + RecordsAhead - 1].Slot);
            }

            Expired e = expired[k];
            observer?.BeforeFinish(e.FinishTime, e.Start, e.FirstPacket);
            int at = k & (RecordsAhead - 1);
            FlowRecord record = _ready[at]!;
            _ready[at] = null;
            Finish(e.Slot, record);
        }

        _expired.Clear();
        Shrink();
    }

    private void Ready(int k, int slot)
    {
        FlowRecord record = PrepareRecord(slot);
        _ready[k & (RecordsAhead - 1)] = record;
        _sink.Prefetch(record);
    }

    private void PrefetchFinish(in Expired e, int stage)
    {
        switch (stage)
        {
            case 0:
                CacheHint.Prefetch(ref Slot(e.Slot), SlotPrefetchBytes);
                if (e.App >= 0) CacheHint.Prefetch(ref CollectionsMarshal.AsSpan(_apps)[e.App], 8);
                break;
            case 1:
                // The slot is in cache by now: its key finds the index entry the finish removes.
                _index.Prefetch(KeyOf(ref Slot(e.Slot)));
                if (e.App >= 0) CacheHint.Prefetch(_apps[e.App]);
                break;
            default:
                if (e.App >= 0) _apps[e.App]!.PrefetchParts();
                break;
        }
    }

    /// <summary>
    /// Gives back the slots of a burst once the open flows fit in an eighth of them (issue 5: the array, the free list
    /// and the index kept the size of the busiest moment for the rest of the run, and every sweep walked all of it).
    /// Runs after a sweep, when no slot number is held outside the table; live flows keep their relative order.
    /// </summary>
    private void Shrink()
    {
        int live = _index.Count;
        if (Capacity <= MinCapacity || live > Capacity / 8) return;
        int size = MinCapacity;
        while (size < live * 2) size *= 2;

        // Live flows move down in place (a slot is only ever copied to a lower one), then the chunks past the new
        // size are dropped.
        int n = 0;
        for (int i = 0; i < _highWater; i++)
        {
            ref FlowState f = ref Slot(i);
            if (!f.InUse) continue;
            if (n != i)
            {
                Slot(n) = f;
                _due[n] = _due[i];
            }

            _index.GetValueRefOrNullRef(KeyOf(ref f), new SlotKeys(this)) = n;
            n++;
        }

        int keep = size / ChunkSize;
        Array.Resize(ref _chunks, keep);
        Array.Resize(ref _due, size);
        _chunkCount = keep;
        _highWater = n;
        _freeCount = 0;
        if (_free.Length > 64) _free = new int[64];
        _index.TrimExcess(MinCapacity);
        _expired.TrimExcess();
        _candidates.TrimExcess();
    }

    private double FinishTime(ref FlowState f)
    {
        double timeout = f.Protocol switch
        {
            6 => _options.TcpInactivityTimeout,
            17 => _options.UdpInactivityTimeout,
            1 or 58 => _options.IcmpInactivityTimeout,
            _ => _options.UdpInactivityTimeout,
        };
        double t = f.Last + timeout;
        if (f.Protocol != 6) return t;
        if (f.CloseCompleteAt > 0) t = Math.Min(t, Math.Max(f.CloseCompleteAt, f.Last) + CloseDelay);
        if (f.AttemptAt > 0 && f.OrigState is TcpEndpointState.SynSent or TcpEndpointState.SynAckSent && f.RespState == TcpEndpointState.Inactive)
        {
            t = Math.Min(t, f.AttemptAt + AttemptDelay);
        }

        if (f.HalfCloseAt > 0 && !(f.OrigDidClose && f.RespDidClose) && f.OrigState != TcpEndpointState.Reset && f.RespState != TcpEndpointState.Reset
            && f.OrigState != TcpEndpointState.Inactive && f.RespState != TcpEndpointState.Inactive)
        {
            t = Math.Min(t, Math.Max(f.HalfCloseAt + PartialCloseDelay, f.Last));
        }

        return t;
    }

    private void Finish(int slot)
    {
        if (Slot(slot).InUse) Finish(slot, PrepareRecord(slot));
    }

    /// <summary>The record of the flow in <paramref name="slot"/>, uid and service set, before anything is emitted.</summary>
    private FlowRecord PrepareRecord(int slot)
    {
        ref FlowState f = ref Slot(slot);
        FlowRecord record = BuildRecord(ref f);
        if (f.App >= 0)
        {
            // One uid per flow: the application records and the flow record share it, packed.
            AppState app = _apps[f.App]!;
            var id = new FlowIdentity(f.Orig, f.OrigPort, f.Resp, f.RespPort, f.Protocol, f.Start, f.FirstPacket, f.Counter, _uidSeed);
            record.SetUid(app.Uid(in id));
            record.Service = app.Service;
        }
        else
        {
            // No application record shares the uid: it stays packed until someone reads its text (issue 5).
            record.SetUid(FlowUid.Create(_uidSeed, f.Counter));
        }

        return record;
    }

    /// <summary>Emits the flow's application records, then <paramref name="record"/>, and frees its slot.</summary>
    private void Finish(int slot, FlowRecord record)
    {
        ref FlowState f = ref Slot(slot);
        if (!f.InUse) return;
        if (f.App >= 0)
        {
            AppState app = _apps[f.App]!;
            var id = new FlowIdentity(f.Orig, f.OrigPort, f.Resp, f.RespPort, f.Protocol, f.Start, f.FirstPacket, f.Counter, _uidSeed);
            AppRecordsEmitted += app.OnFinish(in id, record, _options.Detectors.SshSuccessfulBytes, _sink);
            app.Reset(AppKind.None); // drops what the flow held; the object waits for the next application flow
            _freeApps.Push(f.App);
        }

        _index.Remove(KeyOf(ref f), new SlotKeys(this));
        f.InUse = false;
        _due[slot] = double.PositiveInfinity;
        f.App = -1;
        if (_freeCount == _free.Length) Array.Resize(ref _free, _free.Length * 2);
        _free[_freeCount++] = slot;
        FlowsEmitted++;
        _sink.OnEvent(record);
        if (_reuseRecords) _records.Free!.Push(record);
    }

    private FlowRecord BuildRecord(ref FlowState f)
    {
        ConnState state = ComputeState(ref f);
        bool established = f.Protocol == 6
            ? state is ConnState.S1 or ConnState.SF or ConnState.S2 or ConnState.S3 or ConnState.RSTO or ConnState.RSTR
              || (f.OrigBytes > 0 && f.RespBytes > 0)
            : f.OrigPackets > 0 && f.RespPackets > 0;
        FlowRecord r = _records.Take(f.FirstPacket);
        r.Timestamp = f.Start;
        r.Source = f.Orig;
        r.Destination = f.Resp;
        r.SourcePort = f.OrigPort;
        r.DestinationPort = f.RespPort;
        r.Protocol = ToProtocol(f.Protocol);
        r.ProtocolNumber = f.Protocol;
        r.Duration = f.Last - f.Start;
        r.SourceBytes = f.OrigBytes;
        r.DestinationBytes = f.RespBytes;
        r.SourcePackets = f.OrigPackets;
        r.DestinationPackets = f.RespPackets;
        r.SourceIpBytes = f.OrigIpBytes;
        r.DestinationIpBytes = f.RespIpBytes;
        r.State = state;
        r.StateText = s_stateText[(int)state];
        r.History = HistoryText(ref f);
        r.Established = established;
        r.SourceMac = f.OrigMac == 0 ? "" : MacText(f.OrigMac);
        r.CommunityId = ComputeFlowIds ? CommunityId.Compute(f.Orig, f.Resp, f.OrigPort, f.RespPort, f.Protocol) : "";
        r.Aid = ComputeFlowIds && (f.Protocol is 6 or 17 or 1) ? Aid.Compute(f.Start, f.Orig, f.Resp, f.OrigPort, f.RespPort, f.Protocol) : "";
        return r;
    }

    /// <summary>
    /// The history as text. A network has few distinct histories ("ShADadFf", "D", "S"), so the strings are shared
    /// through a small cache keyed by the history bytes; a full cache just allocates.
    /// </summary>
    private string HistoryText(ref FlowState f)
    {
        ulong key = 0;
        int n = f.HistoryLength;
        if (n == 0) return "";
        if (n <= 8)
        {
            for (int i = 0; i < n; i++) key |= (ulong)f.History[i] << (8 * i);
            if (_historyText.TryGetValue(key, out string? cached)) return cached;
        }

        Span<char> history = stackalloc char[32];
        for (int i = 0; i < n; i++) history[i] = (char)f.History[i];
        string text = new(history[..n]);
        if (n <= 8 && _historyText.Count < MaxCachedTexts) _historyText[key] = text;
        return text;
    }

    /// <summary>The MAC as text, shared per address (a capture has few distinct MACs).</summary>
    private string MacText(ulong mac)
    {
        if (_macText.TryGetValue(mac, out string? text)) return text;
        text = DecodedPacket.FormatMac(mac);
        if (_macText.Count < MaxCachedTexts) _macText[mac] = text;
        return text;
    }

    private static string[] MakeStateText()
    {
        var text = new string[(int)ConnState.OTH + 1];
        for (int i = 0; i < text.Length; i++) text[i] = ((ConnState)i).ToZeek();
        return text;
    }

    private static Protocol ToProtocol(byte number) => number switch
    {
        1 => Protocol.Icmp,
        2 => Protocol.Igmp,
        6 => Protocol.Tcp,
        17 => Protocol.Udp,
        47 => Protocol.Gre,
        58 => Protocol.Icmp6,
        132 => Protocol.Sctp,
        _ => Protocol.Other,
    };

    /// <summary>Zeek's conn_state (base/protocols/conn/main.zeek) from the endpoint states.</summary>
    private static ConnState ComputeState(ref FlowState f)
    {
        if (f.Protocol == 17)
        {
            bool o = f.OrigPackets > 0;
            bool r = f.RespPackets > 0;
            return o ? (r ? ConnState.SF : ConnState.S0) : (r ? ConnState.SHR : ConnState.OTH);
        }

        if (f.Protocol != 6) return ConnState.OTH;

        TcpEndpointState os = f.OrigState;
        TcpEndpointState rs = f.RespState;
        bool oInactive = os is TcpEndpointState.Inactive or TcpEndpointState.Partial;
        bool rInactive = rs is TcpEndpointState.Inactive or TcpEndpointState.Partial;
        if (rs == TcpEndpointState.Reset)
        {
            if (os is TcpEndpointState.SynSent or TcpEndpointState.SynAckSent
                || (os == TcpEndpointState.Reset && f.OrigBytes == 0 && f.RespBytes == 0))
            {
                return ConnState.REJ;
            }

            return oInactive ? ConnState.RSTRH : ConnState.RSTR;
        }

        if (os == TcpEndpointState.Reset)
        {
            if (rInactive) return HistoryIsSynThenReset(ref f) ? ConnState.RSTOS0 : ConnState.OTH;
            return ConnState.RSTO;
        }

        if (rs == TcpEndpointState.Closed && os == TcpEndpointState.Closed) return ConnState.SF;
        if (os == TcpEndpointState.Closed) return rInactive ? ConnState.SH : ConnState.S2;
        if (rs == TcpEndpointState.Closed) return oInactive ? ConnState.SHR : ConnState.S3;
        if (os == TcpEndpointState.SynSent && rs == TcpEndpointState.Inactive) return ConnState.S0;
        if (os == TcpEndpointState.Established && rs == TcpEndpointState.Established) return ConnState.S1;
        return ConnState.OTH;
    }

    /// <summary>Zeek's /\^?S[^HAFGIQ]*R.*/ over the history.</summary>
    private static bool HistoryIsSynThenReset(ref FlowState f)
    {
        int i = 0;
        if (i < f.HistoryLength && f.History[i] == '^') i++;
        if (i >= f.HistoryLength || f.History[i] != 'S') return false;
        for (i++; i < f.HistoryLength; i++)
        {
            byte c = f.History[i];
            if (c == 'R') return true;
            if (c is (byte)'H' or (byte)'A' or (byte)'F' or (byte)'G' or (byte)'I' or (byte)'Q') return false;
        }

        return false;
    }

    /// <summary>The index's key check: a slot's flow tuple against a key.</summary>
    private readonly struct SlotKeys(FlowTable table) : IFlowKeys
    {
        public bool Matches(int value, in FlowKey key)
        {
            ref FlowState f = ref table.Slot(value);
            return key.Matches(f.Orig, f.OrigPort, f.Resp, f.RespPort, f.Protocol);
        }
    }

    private readonly record struct Expired(double FinishTime, double Start, long FirstPacket, int Slot, int App);

    /// <summary>Finish time, then start, then first packet, then slot (a struct comparer: the sort calls it directly).</summary>
    private readonly struct ExpiredOrder : IComparer<Expired>
    {
        public int Compare(Expired a, Expired b)
        {
            int c = a.FinishTime.CompareTo(b.FinishTime);
            if (c != 0) return c;
            c = a.Start.CompareTo(b.Start);
            if (c != 0) return c;
            c = a.FirstPacket.CompareTo(b.FirstPacket);
            return c != 0 ? c : a.Slot.CompareTo(b.Slot);
        }
    }
}

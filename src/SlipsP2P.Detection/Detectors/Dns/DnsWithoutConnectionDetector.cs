using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;
using SlipsP2P.Detection.Profiling;

namespace SlipsP2P.Detection.Detectors.Dns;

/// <summary>
/// DNS resolution without a connection (Slips' dns <c>check_dns_without_connection</c>): an A or AAAA answer after
/// which the querying host contacts none of the answered addresses within
/// <see cref="FlowAlertOptions.DnsWithoutConnectionWait"/> seconds of traffic time. Reverse, .local, wpad and
/// single-label names are skipped, as is a name answered with no address.
/// <para>
/// A busy host resolves many names it never connects to (prefetching, telemetry, ad blockers), so the evidence is one
/// per profile and time window: INFO, confidence 0.8, counting the resolutions and naming the first
/// <see cref="SampleDomains"/> domains; it is raised once every resolution of that window has had its wait. A single
/// resolution keeps Slips' wording ("domain X resolved with no connection").
/// </para>
/// <para>
/// Memory: a resolution is dropped as soon as a connection to one of its answers is seen, so what waits is only the
/// resolutions still unanswered by traffic, at most <see cref="MaxPending"/> (more are counted in
/// <see cref="Dropped"/>), each a few dozen bytes; the per-profile summaries are at most <see cref="MaxProfiles"/>.
/// </para>
/// </summary>
public sealed class DnsWithoutConnectionDetector : HeuristicDetector, IBoundedState, IFlowPrefetch
{
    /// <summary>Resolutions waiting for a connection at most.</summary>
    public const int MaxPending = 65536;

    /// <summary>Profiles summarised at once at most.</summary>
    public const int MaxProfiles = 65536;

    /// <summary>Domains named in one evidence.</summary>
    public const int SampleDomains = 5;

    /// <summary>Answers of one resolution checked for a connection.</summary>
    public const int MaxAnswers = 16;

    // Contacts before a lookup (a host re-resolving a name it talks to); contacts after it free the lookup directly.
    // Hashes of the (host, address) pairs (8 bytes each instead of 32, issue 5); a collision only hides one lookup.
    private readonly TwoGenerationSet _contacted = new(32768);

    // Waiting resolutions live in slots; each of their answers is a node in the chain of its (host, answer) key, so
    // that a connection frees every resolution it answers at once. The queue holds (slot, generation) in arrival
    // order; a freed slot's generation moves on, and the queue skips it when it gets there (or when compacted).
    private readonly Queue<(int Slot, int Generation)> _order = new();
    // Chains hang from buckets picked by the top bits of the (host, answer) hash: the first node of each, or -1. Pairs
    // that share a bucket share its chain, and a connection frees only the nodes of its own pair (each node is checked
    // for its answer and host), so the answer stays exact. There are at least as many buckets as nodes (doubled as
    // nodes are added, never shrunk): 8 bytes a bucket with the filter below, where a hash table of chain heads took 13
    // a slot at 60% load (issue 5: 0.85 MB for 40,000 waiting answers on the 2M-packet capture, these 512 KB). A flow
    // whose bucket is empty answers no waiting lookup and reads nothing else. Beside each head, a 32-bit filter of the
    // pairs in its chain (one bit per pair, from hash bits the bucket number does not use): a flow whose bit is clear
    // reads no node either (before, most flows walked a chain of other pairs' answers, a cache miss per node: 2.6% of a
    // pinned run). Bits are cleared when the chain empties; until then a freed pair's bit only costs a walk.
    private const int MinBuckets = 1 << 14; // 128 KiB: each doubling rehashes every waiting answer
    private Head[] _heads = NewHeads(MinBuckets);
    private int _headShift = 64 - 14;
    private int _liveNodes;
    private readonly Stack<int> _freeSlots = new();
    private readonly Stack<int> _freeNodes = new();

    // Slots and nodes live in pages of PageSize: no array doubling, whose last step left up to half of the slots unused
    // (35,261 used of 65,536 on the 2M-packet generated capture, issue 5); the pages in use stay put. 64 bytes a slot
    // with its name and 20 a node (see Slot and Node).
    private const int PageBits = 12;
    private const int PageSize = 1 << PageBits;
    private const int PageMask = PageSize - 1;
    private Slot[][] _slotPages = [];
    private Node[][] _nodePages = [];
    private int _usedSlots;
    private int _usedNodes;

    // The uids that do not pack (not Zeek-shaped), by slot: rare, so not a field of every slot.
    private readonly Dictionary<int, string> _uidTexts = new();

    // A uid that packs but is not one the node numbered (a Zeek log's), by slot: pages beside the slot pages, made on
    // first use (a capture's uids are numbered and kept in the slot, see Slot.Uid).
    private PackedUid[]?[] _otherUidPages = [];

    // The names that do not fit a slot (longer than QueryBytes.Capacity or not ASCII), by slot.
    private readonly Dictionary<int, string> _queryTexts = new();

    // Addresses are kept as their 32 IPv4 bits; an IPv6 address (or 255.255.255.255, the marker) is kept here instead,
    // by slot (source and resolver) or by node (answer).
    private const uint Wide = uint.MaxValue;

    // Slot.Uid for a uid that packs but is not numbered (kept in _otherUidPages); codes of numbered uids have their top
    // bit set (PackedUid.CodeTag).
    private const ulong OtherUid = 1;
    private readonly Dictionary<int, (IpAddr Source, IpAddr Resolver)> _wideSlots = new();
    private readonly Dictionary<int, IpAddr> _wideAnswers = new();
    private int _live;

    private readonly Dictionary<IpAddr, Summary> _summaries = new();
    private readonly List<Summary> _flush = new();
    private int _oldestSummaryWindow = int.MaxValue;
    private long _sequence;

    public override string Name => "dns_without_connection";

    /// <summary>Only a DNS record starts a wait: on an input without them (a binetflow) the per-flow contacts are useless.</summary>
    public override RecordKinds NeededKinds => RecordKinds.Dns;

    /// <summary>Resolutions not tracked because <see cref="MaxPending"/> were waiting, or profiles past <see cref="MaxProfiles"/>.</summary>
    public long Dropped { get; private set; }

    /// <summary>Resolutions waiting now (for tests and statistics).</summary>
    public int Pending => _live;

    public override void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        ulong pairHash = KeyHash.Of(flow.Source, flow.Destination);
        _contacted.Add(pairHash);
        // Every waiting resolution of this host that named this address is answered by the connection.
        int bucket = Bucket(pairHash);
        if ((_heads[bucket].Filter & FilterBit(pairHash)) == 0)
        {
            Expire(flow.Timestamp, ctx);
            return;
        }

        for (int node = _heads[bucket].First; node >= 0;)
        {
            ref var n = ref NodeAt(node);
            if (AnswerOf(node) == flow.Destination && SourceOf(n.Slot) == flow.Source)
            {
                // Freeing unlinks the lookup's nodes from their chains: look again from this chain's start.
                FreeSlot(n.Slot);
                node = _heads[bucket].First;
                continue;
            }

            node = n.Next;
        }

        Expire(flow.Timestamp, ctx);
    }

    public void Prefetch(FlowRecord flow, int window)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ulong pairHash = KeyHash.Of(flow.Source, flow.Destination);
        _contacted.Prefetch(pairHash);
        CacheHint.Prefetch(ref _heads[Bucket(pairHash)], 8);
    }

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(ctx);
        Expire(record.Timestamp, ctx);
        if (record is not DnsRecord dns || dns.Answers.Count == 0 || dns.QueryType is not (1 or 28)) return;
        string q = dns.Query;
        if (q.Length == 0 || !q.Contains('.', StringComparison.Ordinal) || q.EndsWith(".arpa", StringComparison.OrdinalIgnoreCase)
            || q.EndsWith(".local", StringComparison.OrdinalIgnoreCase) || q.StartsWith("wpad", StringComparison.OrdinalIgnoreCase)
            || ContainsCymru(q)) return;

        int n = Math.Min(dns.Answers.Count, MaxAnswers);
        Span<IpAddr> answers = stackalloc IpAddr[MaxAnswers];
        int k = 0;
        for (int i = 0; i < n; i++)
        {
            if (!ctx.TryGetAnswerAddress(dns, i, out var ip)) continue;
            // A host already talking to one of the answers needs no new connection after the lookup.
            if (_contacted.Contains(KeyHash.Of(dns.Source, ip))) return;
            if (answers[..k].IndexOf(ip) < 0) answers[k++] = ip;
        }

        if (k == 0) return;
        if (_live >= MaxPending)
        {
            Dropped++;
            return;
        }

        int slot = AllocateSlot();
        ref var s = ref SlotAt(slot);
        s.Timestamp = dns.Timestamp;
        s.Source = Narrow(dns.Source);
        s.Resolver = Narrow(dns.Destination);
        if (s.Source == Wide || s.Resolver == Wide) _wideSlots[slot] = (dns.Source, dns.Destination);
        if (!s.Query.TrySet(q)) _queryTexts[slot] = q;
        if (dns.TryGetPackedUid(out var uid)) SetUid(ref s, slot, uid);
        else _uidTexts[slot] = dns.Uid; // a uid that does not pack is never empty
        s.FirstNode = -1;
        for (int i = 0; i < k; i++) LinkNode(slot, dns.Source, answers[i]);
        _order.Enqueue((slot, s.Generation));
    }

    public override void OnFinish(DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        Expire(double.PositiveInfinity, ctx);
        FlushSummaries(int.MaxValue, ctx);
    }

    private void Expire(double now, DetectionContext ctx)
    {
        double wait = ctx.Options.FlowAlerts.DnsWithoutConnectionWait;
        while (_order.TryPeek(out var head))
        {
            ref var s = ref SlotAt(head.Slot);
            if (s.Generation != head.Generation)
            {
                // Freed by a connection (and maybe reused since).
                _order.Dequeue();
                continue;
            }

            if (!(s.Timestamp + wait < now)) break;
            _order.Dequeue();
            Summarise(ref s, head.Slot, ctx);
            FreeSlot(head.Slot);
        }

        // A window's summary is complete once no resolution of that window waits any longer.
        int waiting = _order.TryPeek(out var first) ? ctx.Windows.Number(SlotAt(first.Slot).Timestamp) : ctx.TimeWindow;
        if (_summaries.Count > 0 && _oldestSummaryWindow < waiting) FlushSummaries(waiting, ctx);
        // Freed lookups stay queued until compacted: at most one per waiting one, so the queue's array stays near the
        // live count (4x let it reach 262,144 entries on the 2M-packet generated capture, issue 5).
        if (_order.Count > (2 * _live) + 1024) Compact();
    }

    private void Summarise(ref Slot s, int slot, DetectionContext ctx)
    {
        // The window is the lookup's own (not kept in the slot: the same number from its time).
        int window = ctx.Windows.Number(s.Timestamp);
        IpAddr source = SourceOf(slot);
        if (!_summaries.TryGetValue(source, out var sum))
        {
            if (_summaries.Count >= MaxProfiles)
            {
                Dropped++;
                return;
            }

            sum = new Summary(source, window, _sequence++);
            _summaries[source] = sum;
            _oldestSummaryWindow = Math.Min(_oldestSummaryWindow, window);
        }
        else if (sum.Window != window)
        {
            // The host's earlier window is complete: report it before counting the new one.
            Raise(sum, ctx);
            sum.Restart(window, _sequence++);
            _oldestSummaryWindow = Math.Min(_oldestSummaryWindow, window);
        }

        sum.Add(ref s, ResolverOf(slot), _uidTexts.GetValueOrDefault(slot), UidOf(in s, slot), _queryTexts.GetValueOrDefault(slot));
    }

    private void FlushSummaries(int beforeWindow, DetectionContext ctx)
    {
        _flush.Clear();
        int oldest = int.MaxValue;
        foreach (var sum in _summaries.Values)
        {
            if (sum.Window < beforeWindow) _flush.Add(sum);
            else oldest = Math.Min(oldest, sum.Window);
        }

        _oldestSummaryWindow = oldest;
        if (_flush.Count == 0) return;
        // In the order the summaries began, so that the same input always gives the same evidence order.
        _flush.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var sum in _flush)
        {
            _summaries.Remove(sum.Profile);
            Raise(sum, ctx);
        }

        _flush.Clear();
    }

    private static void Raise(Summary sum, DetectionContext ctx)
    {
        string description;
        if (sum.Count == 1)
        {
            description = $"domain {sum.Sample[0]} resolved with no connection";
        }
        else
        {
            var text = new StringBuilder(160);
            text.Append(CultureInfo.InvariantCulture, $"{sum.Count} domains resolved with no connection within ")
                .Append(ctx.Options.FlowAlerts.DnsWithoutConnectionWait.ToString(CultureInfo.InvariantCulture))
                .Append(" s in this time window, e.g. ");
            for (int i = 0; i < sum.SampleCount; i++)
            {
                if (i > 0) text.Append(", ");
                text.Append(sum.Sample[i]);
            }

            description = text.ToString();
        }

        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.DnsWithoutConnection,
            Description = description,
            Attacker = sum.Profile,
            Victim = sum.Resolver,
            ThreatLevel = ThreatLevel.Info,
            Confidence = 0.8,
            Timestamp = sum.LastTimestamp,
            TimeWindow = sum.Window,
            Protocol = Protocol.Udp,
            Port = 53,
            Uids = sum.Uids.Snapshot(),
        });
    }

    private ref Slot SlotAt(int slot) => ref _slotPages[slot >> PageBits][slot & PageMask];

    private void SetUid(ref Slot s, int slot, PackedUid uid)
    {
        if (uid.IsEmpty) return;
        if (uid.TryGetCode(out s.Uid)) return;
        s.Uid = OtherUid;
        if (_otherUidPages.Length < _slotPages.Length) Array.Resize(ref _otherUidPages, _slotPages.Length);
        (_otherUidPages[slot >> PageBits] ??= new PackedUid[PageSize])[slot & PageMask] = uid;
    }

    private PackedUid UidOf(in Slot s, int slot) =>
        s.Uid == 0 ? default
        : s.Uid == OtherUid ? _otherUidPages[slot >> PageBits]![slot & PageMask]
        : PackedUid.FromCode(s.Uid);

    private static uint Narrow(IpAddr address) => address.IsV4 ? address.V4 : Wide;

    private IpAddr SourceOf(int slot)
    {
        uint v4 = SlotAt(slot).Source;
        return v4 != Wide ? IpAddr.FromV4(v4) : _wideSlots[slot].Source;
    }

    private IpAddr ResolverOf(int slot)
    {
        uint v4 = SlotAt(slot).Resolver;
        return v4 != Wide ? IpAddr.FromV4(v4) : _wideSlots[slot].Resolver;
    }

    private IpAddr AnswerOf(int node)
    {
        uint v4 = NodeAt(node).Answer;
        return v4 != Wide ? IpAddr.FromV4(v4) : _wideAnswers[node];
    }

    private ref Node NodeAt(int node) => ref _nodePages[node >> PageBits][node & PageMask];

    private int AllocateSlot()
    {
        _live++;
        if (_freeSlots.Count > 0) return _freeSlots.Pop();
        if (_usedSlots == _slotPages.Length * PageSize) AddPage(ref _slotPages);
        return _usedSlots++;
    }

    private static void AddPage<T>(ref T[][] pages)
    {
        var page = new T[PageSize];
        Prefault.Pages(page);
        Array.Resize(ref pages, pages.Length + 1);
        pages[^1] = page;
    }

    private void FreeSlot(int slot)
    {
        ref var s = ref SlotAt(slot);
        IpAddr source = SourceOf(slot);
        for (int node = s.FirstNode; node >= 0;)
        {
            int sibling = NodeAt(node).Sibling;
            UnlinkNode(node, source);
            node = sibling;
        }

        int generation = s.Generation + 1;
        s = default;
        s.Generation = generation;
        if (_uidTexts.Count > 0) _uidTexts.Remove(slot);
        if (_queryTexts.Count > 0) _queryTexts.Remove(slot);
        if (_wideSlots.Count > 0) _wideSlots.Remove(slot);
        _freeSlots.Push(slot);
        _live--;
    }

    private void LinkNode(int slot, IpAddr source, IpAddr answer)
    {
        int node;
        if (_freeNodes.Count > 0)
        {
            node = _freeNodes.Pop();
        }
        else
        {
            if (_usedNodes == _nodePages.Length * PageSize) AddPage(ref _nodePages);
            node = _usedNodes++;
        }

        ref var s = ref SlotAt(slot);
        ref var n = ref NodeAt(node);
        n.Slot = slot;
        n.Answer = Narrow(answer);
        if (n.Answer == Wide) _wideAnswers[node] = answer;
        Push(node, KeyHash.Of(source, answer));
        n.Sibling = s.FirstNode;
        s.FirstNode = node;
        if (++_liveNodes > _heads.Length) Rehash(_heads.Length * 2);
    }

    /// <summary>Puts <paramref name="node"/> first in the chain of its pair's bucket, and the pair in the chain's filter.</summary>
    private void Push(int node, ulong pairHash)
    {
        ref var n = ref NodeAt(node);
        ref var head = ref _heads[Bucket(pairHash)];
        n.Prev = -1;
        n.Next = head.First;
        if (head.First >= 0) NodeAt(head.First).Prev = node;
        head.First = node;
        head.Filter |= FilterBit(pairHash);
    }

    /// <summary>Moves every waiting answer to a bucket array of <paramref name="buckets"/> (a power of two).</summary>
    private void Rehash(int buckets)
    {
        Head[] old = _heads;
        _heads = NewHeads(buckets);
        _headShift = 64 - BitOperations.Log2((uint)buckets);
        foreach (Head h in old)
        {
            for (int node = h.First; node >= 0;)
            {
                int next = NodeAt(node).Next;
                Push(node, KeyHash.Of(SourceOf(NodeAt(node).Slot), AnswerOf(node)));
                node = next;
            }
        }
    }

    private static Head[] NewHeads(int buckets)
    {
        var heads = new Head[buckets];
        heads.AsSpan().Fill(new Head { First = -1 });
        return heads;
    }

    private void UnlinkNode(int node, IpAddr source)
    {
        ref var n = ref NodeAt(node);
        int prev = n.Prev, next = n.Next;
        if (next >= 0) NodeAt(next).Prev = prev;
        if (prev >= 0) NodeAt(prev).Next = next;
        else
        {
            ref var head = ref _heads[Bucket(KeyHash.Of(source, AnswerOf(node)))];
            head.First = next;
            if (next < 0) head.Filter = 0;
        }

        if (n.Answer == Wide) _wideAnswers.Remove(node);
        _freeNodes.Push(node);
        _liveNodes--;
    }

    /// <summary>
    /// <c>q.Contains("cymru", StringComparison.OrdinalIgnoreCase)</c>, tried only where a 'c' starts (no other character
    /// folds to it): the general ignore-case search was the most of this detector's cost per DNS record.
    /// </summary>
    internal static bool ContainsCymru(string q)
    {
        var rest = q.AsSpan();
        int at;
        while ((at = rest.IndexOfAny('c', 'C')) >= 0)
        {
            rest = rest[at..];
            if (rest.StartsWith("cymru", StringComparison.OrdinalIgnoreCase)) return true;
            rest = rest[1..];
        }

        return false;
    }

    private int Bucket(ulong pairHash) => (int)(pairHash >> _headShift);

    // The low 5 bits: the bucket takes the top ones (at most 32 of them, for 4 G buckets).
    private static uint FilterBit(ulong pairHash) => 1u << (int)(pairHash & 31);

    private void Compact()
    {
        int n = _order.Count;
        for (int i = 0; i < n; i++)
        {
            var entry = _order.Dequeue();
            if (SlotAt(entry.Slot).Generation == entry.Generation) _order.Enqueue(entry);
        }
    }

    /// <summary>
    /// A waiting lookup: 64 bytes and no reference. Its name is kept in the slot as ASCII (a 23-character name was a
    /// 72-byte string beside a 72-byte slot, and a reference from these long-lived pages to a young string that every
    /// young collection had to follow; issue 5), its addresses as IPv4 (<see cref="Wide"/>: in _wideSlots).
    /// </summary>
    private struct Slot
    {
        public double Timestamp;
        public int Generation;
        public int FirstNode;
        public uint Source;
        public uint Resolver;
        // The lookup's uid (a 56-byte string before, issue 5): the code of a uid the node numbered (PackedUid.TryGetCode),
        // OtherUid for another that packs (in _otherUidPages), 0 for none or one that does not pack (in _uidTexts).
        public ulong Uid;
        // The queried name, or empty with the name in _queryTexts when it does not fit.
        public QueryBytes Query;
    }

    /// <summary>A short ASCII name kept by value: a length byte and up to <see cref="Capacity"/> characters.</summary>
    [InlineArray(32)]
    internal struct QueryBytes
    {
        /// <summary>Characters held at most (the first byte is the length).</summary>
        public const int Capacity = 31;

        private byte _element0;

        /// <summary>Holds <paramref name="name"/>; false (and empty) when it is longer than <see cref="Capacity"/> or not ASCII.</summary>
        public bool TrySet(string name)
        {
            Span<byte> bytes = this;
            if (name.Length > Capacity || !Ascii.IsValid(name))
            {
                bytes[0] = 0;
                return false;
            }

            bytes[0] = (byte)name.Length;
            for (int i = 0; i < name.Length; i++) bytes[1 + i] = (byte)name[i];
            return true;
        }

        /// <summary>The name held, as a new string ("" when none was).</summary>
        public readonly string Text()
        {
            ReadOnlySpan<byte> bytes = this;
            return Encoding.ASCII.GetString(bytes.Slice(1, bytes[0]));
        }
    }

    /// <summary>
    /// One answer of a waiting lookup: a link in the chain of its (host, answer) key and among its siblings; 20 bytes, the
    /// answer as IPv4 (<see cref="Wide"/>: in _wideAnswers).
    /// </summary>
    /// <summary>A chain's first node (-1: empty) and the filter of the pairs its nodes answer.</summary>
    private struct Head
    {
        public int First;
        public uint Filter;
    }

    private struct Node
    {
        public int Slot;
        public int Prev;
        public int Next;
        public int Sibling;
        public uint Answer;
    }

    private sealed class Summary(IpAddr profile, int window, long sequence)
    {
        public IpAddr Profile { get; } = profile;

        public int Window { get; private set; } = window;

        public long Sequence { get; private set; } = sequence;

        public long Count { get; private set; }

        public double LastTimestamp { get; private set; }

        public IpAddr Resolver { get; private set; }

        public string[] Sample { get; } = new string[SampleDomains];

        public int SampleCount { get; private set; }

        public UidList Uids { get; } = new();

        public void Add(ref Slot s, IpAddr resolver, string? uidText, PackedUid uid, string? queryText)
        {
            Count++;
            LastTimestamp = Math.Max(LastTimestamp, s.Timestamp);
            Resolver = resolver;
            Uids.Add(uidText, uid);
            if (SampleCount >= SampleDomains) return;
            // The name's text is made only here, for at most SampleDomains lookups of a window.
            string query = queryText ?? s.Query.Text();
            for (int i = 0; i < SampleCount; i++)
            {
                if (string.Equals(Sample[i], query, StringComparison.OrdinalIgnoreCase)) return;
            }

            Sample[SampleCount++] = query;
        }

        public void Restart(int window, long sequence)
        {
            Window = window;
            Sequence = sequence;
            Count = 0;
            LastTimestamp = 0;
            SampleCount = 0;
            Array.Clear(Sample);
            Uids.Clear();
        }
    }
}

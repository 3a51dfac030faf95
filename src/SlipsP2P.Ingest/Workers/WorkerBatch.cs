namespace SlipsP2P.Ingest.Workers;

/// <summary>What a batch entry asks a worker to do.</summary>
internal enum BatchEntryKind : byte
{
    /// <summary>Decode and account one frame (IP or ARP) that hashes to this worker.</summary>
    Packet,
    /// <summary>A sweep at a checkpoint of the global packet clock, sent to every worker.</summary>
    Sweep,
    /// <summary>End of input: finish every open flow, sent to every worker.</summary>
    Flush,
}

/// <summary>One entry of a <see cref="WorkerBatch"/>; a packet's bytes live in the batch's buffer.</summary>
internal struct BatchEntry
{
    public long Sequence;
    public double Timestamp;
    public int Offset;
    public int Length;
    public int LinkType;
    public BatchEntryKind Kind;
}

/// <summary>
/// The share of one <see cref="BatchGroup"/> that goes to one worker: its packets (copied out of the reader's window,
/// so stdin and pipes work the same as files), the sweeps and flush of the whole group in packet order, and the
/// records the worker emitted for them. Reused for the whole run: steady state allocates nothing.
/// </summary>
internal sealed class WorkerBatch(BatchGroup group)
{
    private BatchEntry[] _entries = new BatchEntry[512];
    private byte[] _data = new byte[256 * 1024];
    private int _count;
    private int _dataLength;

    public BatchGroup Group { get; } = group;

    /// <summary>What the worker emitted for this batch, in its emission order (which is also tag order).</summary>
    public List<TaggedRecord> Output { get; } = new();

    public ReadOnlySpan<BatchEntry> Entries => _entries.AsSpan(0, _count);

    public ReadOnlySpan<byte> Frame(in BatchEntry entry) => _data.AsSpan(entry.Offset, entry.Length);

    public void AddPacket(long sequence, double timestamp, int linkType, ReadOnlySpan<byte> frame)
    {
        // Bounded: the reader closes a group at BatchGroup.MaxBytes, and a frame is at most CaptureReader.MaxPacketLength.
        if (_data.Length - _dataLength < frame.Length) Array.Resize(ref _data, Math.Max(_data.Length * 2, _dataLength + frame.Length));
        frame.CopyTo(_data.AsSpan(_dataLength));
        ref BatchEntry e = ref Next();
        e.Kind = BatchEntryKind.Packet;
        e.Sequence = sequence;
        e.Timestamp = timestamp;
        e.LinkType = linkType;
        e.Offset = _dataLength;
        e.Length = frame.Length;
        _dataLength += frame.Length;
    }

    public void AddCommand(BatchEntryKind kind, long sequence, double timestamp)
    {
        ref BatchEntry e = ref Next();
        e = default;
        e.Kind = kind;
        e.Sequence = sequence;
        e.Timestamp = timestamp;
    }

    public void Reset()
    {
        _count = 0;
        _dataLength = 0;
        Output.Clear();
    }

    private ref BatchEntry Next()
    {
        if (_count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        return ref _entries[_count++];
    }
}

/// <summary>
/// A run of consecutive packets split over the workers (one <see cref="WorkerBatch"/> each). The merger waits for
/// every part, merges their records by tag and hands them on; then the group goes back to the pool.
/// </summary>
internal sealed class BatchGroup : IDisposable
{
    /// <summary>Packets per group: large enough that hand-offs cost nothing per packet, small enough to pipeline.</summary>
    public const int MaxPackets = 4096;

    /// <summary>Frame bytes per group, so that a run of jumbo frames does not grow the buffers without bound.</summary>
    public const int MaxBytes = 2 * 1024 * 1024;

    private int _pending;

    public BatchGroup(int workers)
    {
        Parts = new WorkerBatch[workers];
        for (int i = 0; i < workers; i++) Parts[i] = new WorkerBatch(this);
    }

    public WorkerBatch[] Parts { get; }

    public int Packets { get; set; }

    public int Bytes { get; set; }

    /// <summary>The uid seed (from the first IP packet of the input), once known.</summary>
    public ulong UidSeed { get; set; }

    public bool HasSeed { get; set; }

    /// <summary>The last group of the input (it carries the flush).</summary>
    public bool Last { get; set; }

    public ManualResetEventSlim Done { get; } = new(false);

    public bool IsFull => Packets >= MaxPackets || Bytes >= MaxBytes;

    public void Reset()
    {
        foreach (var p in Parts) p.Reset();
        Packets = 0;
        Bytes = 0;
        Last = false;
        Done.Reset();
        _pending = Parts.Length;
    }

    public void AddCommandToAll(BatchEntryKind kind, long sequence, double timestamp)
    {
        foreach (var p in Parts) p.AddCommand(kind, sequence, timestamp);
    }

    /// <summary>A worker has finished its part.</summary>
    public void PartDone()
    {
        if (Interlocked.Decrement(ref _pending) == 0) Done.Set();
    }

    public void Dispose() => Done.Dispose();
}

using System.Collections.Concurrent;
using System.Threading.Channels;

namespace SlipsP2P.Ingest.Live;

/// <summary>
/// The bounded hand-over from the capture thread to the analysis thread: full batches go through a bounded channel,
/// empty ones come back through a pool. When the analysis falls behind and the channel is full, the capture thread
/// never waits (that would stall the kernel ring); the batch is dropped, its packets counted in
/// <see cref="DroppedPackets"/>, and the batch reused.
/// </summary>
/// <remarks>
/// Every batch the queue creates is either in the channel, in the pool, or held by one of the two threads, so at most
/// <c>capacity + 2</c> batches ever exist and memory is bounded by <c>(capacity + 2) x batch bytes</c>.
/// </remarks>
public sealed class PacketBatchChannel
{
    private readonly Channel<PacketBatch> _channel;
    private readonly ConcurrentQueue<PacketBatch> _free = new();
    private readonly int _maxPackets;
    private readonly int _batchBytes;
    private long _droppedPackets;
    private long _droppedBatches;

    /// <summary>Creates a queue of at most <paramref name="capacity"/> batches of <paramref name="maxPackets"/> packets and <paramref name="batchBytes"/> bytes each.</summary>
    public PacketBatchChannel(int capacity, int maxPackets, int batchBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _maxPackets = maxPackets;
        _batchBytes = batchBytes;
        Capacity = capacity;
        _channel = Channel.CreateBounded<PacketBatch>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails at once when full: the writer counts the drop itself
        });
    }

    /// <summary>Batches the channel holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Packets dropped because the analysis was behind and the queue was full.</summary>
    public long DroppedPackets => Interlocked.Read(ref _droppedPackets);

    /// <summary>Batches dropped for the same reason.</summary>
    public long DroppedBatches => Interlocked.Read(ref _droppedBatches);

    /// <summary>The reading side, for the analysis thread.</summary>
    public ChannelReader<PacketBatch> Reader => _channel.Reader;

    /// <summary>An empty batch: a returned one when there is one, else a new one.</summary>
    public PacketBatch Rent()
    {
        if (_free.TryDequeue(out var batch)) return batch;
        return new PacketBatch(_maxPackets, _batchBytes);
    }

    /// <summary>Gives a processed batch back for reuse.</summary>
    public void Return(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.Clear();
        _free.Enqueue(batch);
    }

    /// <summary>
    /// Hands a batch to the analysis thread. When the queue is full, waits at most <paramref name="maxWait"/> for
    /// room (meanwhile the kernel ring, which is far larger, holds the traffic); when there is still none (or the
    /// queue is completed), the batch's packets are counted as dropped, the batch is cleared, and false is returned:
    /// the caller keeps filling the same batch.
    /// </summary>
    public bool Publish(PacketBatch batch, TimeSpan maxWait = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return false;
        if (_channel.Writer.TryWrite(batch)) return true;
        if (maxWait > TimeSpan.Zero && WaitForRoom(maxWait) && _channel.Writer.TryWrite(batch)) return true;
        Interlocked.Add(ref _droppedPackets, batch.Count);
        Interlocked.Increment(ref _droppedBatches);
        batch.Clear();
        return false;
    }

    /// <summary>
    /// Blocks the capture thread (its own, never the analysis') until the channel has room or the time is up. Only
    /// reached when the analysis is behind, so the task it allocates is off the per-packet path.
    /// </summary>
    private bool WaitForRoom(TimeSpan maxWait)
    {
        var room = _channel.Writer.WaitToWriteAsync();
        if (room.IsCompleted) return room.Result;
        var task = room.AsTask();
        return task.Wait(maxWait) && task.Result;
    }

    /// <summary>No more batches will come (capture stopped); <paramref name="error"/> when it stopped on a failure.</summary>
    public void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);
}

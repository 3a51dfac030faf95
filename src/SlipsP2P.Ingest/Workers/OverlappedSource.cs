using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Workers;

/// <summary>
/// Runs an input's reading (decoding, flow table, parsing) on a thread of its own while the sink (detection) runs on
/// the caller's thread, so that on two cores an analysis takes about the longer of the two instead of their sum.
/// <code>
///  ingest thread: source.Run ─> records ─> batch of up to BatchSize ─┐   bounded: BatchesInFlight arrays in all
///                                                                    ├─> caller's thread: sink.OnEvent, in order
///  free arrays &lt;─────────────── cleared after the sink took them ────┘
/// </code>
/// One producer, one consumer, batches in FIFO order: the sink sees exactly the records, in exactly the order, that
/// <c>source.Run(sink)</c> gives, so the outputs are the same byte for byte. Records are handed over only after the
/// source has finished with them (flow tables and readers build a new record per flow or line and never touch it
/// again once emitted). A fixed pool of arrays bounds what is in flight and is the back-pressure.
/// </summary>
/// <remarks>
/// Errors: an exception of the source (an <see cref="InputException"/> naming the file and line or packet, or a
/// cancellation) surfaces from <see cref="Run"/> after every record read before it has gone to the sink, as it
/// would without the overlap. An exception of the sink stops the reader and surfaces as it is. Disposing this object
/// does not dispose the source: the caller that opened it keeps it.
/// </remarks>
public sealed class OverlappedSource : IEventSource
{
    /// <summary>Records per hand-off (a few thousand: the synchronisation is paid once per batch, never per record).</summary>
    public const int DefaultBatchSize = 4096;

    /// <summary>Batches in flight at most (the one being filled, the ones queued, the one being analysed).</summary>
    public const int DefaultBatchesInFlight = 4;

    private readonly IEventSource _source;
    private readonly int _batchSize;
    private readonly int _batchesInFlight;

    /// <summary>Wraps <paramref name="source"/>; <paramref name="batchSize"/> records per hand-off.</summary>
    public OverlappedSource(IEventSource source, int batchSize = DefaultBatchSize, int batchesInFlight = DefaultBatchesInFlight)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, 1 << 20);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchesInFlight, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchesInFlight, 64);
        _source = source;
        _batchSize = batchSize;
        _batchesInFlight = batchesInFlight;
    }

    /// <summary>The wrapped input.</summary>
    public IEventSource Source => _source;

    /// <inheritdoc />
    public string Name => _source.Name;

    /// <inheritdoc />
    public string Kind => _source.Kind;

    /// <inheritdoc />
    /// <remarks>The source's counters, updated by the ingest thread (a little ahead of the sink).</remarks>
    public IngestStats Stats => _source.Stats;

    /// <inheritdoc />
    public void Run(IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Every array is either free, being filled, queued or being analysed: with the queues as large as the pool,
        // adding to them never blocks, and taking a free array is the only wait of the reader.
        using var free = new BlockingCollection<NetEvent[]>(_batchesInFlight);
        using var ready = new BlockingCollection<Batch>(_batchesInFlight);
        for (int i = 0; i < _batchesInFlight - 1; i++) free.Add(new NetEvent[_batchSize], CancellationToken.None);
        var batcher = new Batcher(new NetEvent[_batchSize], free, ready, cts.Token);
        Exception? readerFailure = null;
        var reader = new Thread(() =>
        {
            try
            {
                _source.Run(batcher, cts.Token);
            }
            catch (Exception e)
            {
                readerFailure = e;
            }
            finally
            {
                batcher.Complete();
                ready.CompleteAdding();
            }
        })
        { IsBackground = true, Name = "slips ingest" };
        reader.Start();

        Exception? sinkFailure = null;
        try
        {
            foreach (Batch batch in ready.GetConsumingEnumerable(CancellationToken.None))
            {
                NetEvent[] records = batch.Records;
                if (sinkFailure is null)
                {
                    try
                    {
                        // No IEventSink.Prefetch hints here: with detection on a core of its own its tables stay in
                        // its cache, and hints only added work (2M capture: 1,395 against 1,324 ms CPU; a conn.log's
                        // block pipeline likewise, 364 against 355 ms wall).
                        for (int i = 0; i < batch.Count; i++) sink.OnEvent(records[i]);
                    }
                    catch (Exception e)
                    {
                        // Stop the reader (it waits for free arrays or checks the token) and drain what it still hands over.
                        sinkFailure = e;
                        cts.Cancel();
                    }
                }

                Array.Clear(records, 0, batch.Count);
                free.Add(records, CancellationToken.None);
            }
        }
        finally
        {
            reader.Join();
        }

        if (sinkFailure is not null) ExceptionDispatchInfo.Throw(sinkFailure);
        if (readerFailure is not null) ExceptionDispatchInfo.Throw(readerFailure);
    }

    /// <inheritdoc />
    /// <remarks>Does not dispose the wrapped source.</remarks>
    public void Dispose()
    {
    }

    private readonly record struct Batch(NetEvent[] Records, int Count);

    /// <summary>The sink the source writes into, on the ingest thread: fills an array, queues it when full.</summary>
    private sealed class Batcher(NetEvent[] first, BlockingCollection<NetEvent[]> free, BlockingCollection<Batch> ready, CancellationToken token) : IEventSink
    {
        private NetEvent[]? _records = first;
        private int _count;

        public void OnEvent(NetEvent record)
        {
            NetEvent[] records = _records ??= free.Take(token);
            records[_count++] = record;
            if (_count == records.Length)
            {
                ready.Add(new Batch(records, _count), CancellationToken.None);
                _records = null;
                _count = 0;
            }
        }

        /// <summary>End of input (or an error): what was read so far goes to the sink too.</summary>
        public void Complete()
        {
            if (_records is not null && _count > 0) ready.Add(new Batch(_records, _count), CancellationToken.None);
            _records = null;
            _count = 0;
        }
    }
}

using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Parses a line-oriented flow file on several threads while the caller takes the records in input order. A reader
/// thread cuts the file into blocks of whole lines (counting their newlines, so each block knows its first line
/// number), runs the sequential <see cref="IBlockScanner"/> over them, and hands them to the parse workers; the
/// caller takes the parsed blocks strictly in order (<see cref="Next"/>), adding each block's counters and skip
/// messages to the input's <see cref="IngestStats"/> before its records. At most twice as many blocks as workers are
/// in flight, so memory stays bounded whatever the file's size. A failure of the reader or of a worker, and the
/// scan's errors, come out of <see cref="Next"/> after the records before them; disposing stops and joins every
/// thread.
/// </summary>
internal sealed class LineBlockPipeline : IDisposable
{
    /// <summary>
    /// Bytes read per block by default. Small on purpose: the records of the blocks in flight are alive when a gen0
    /// collection comes and get promoted; with 1 MiB blocks (about 22,000 conn records in flight for two workers) the
    /// workers spent about twice the serial parse's CPU, with 256 KiB about 1.3 times (perf cpu-clock samples of 6 parses
    /// of a 249k-line conn.log: serial 2,321; 1 MiB 4,486-4,688; 256 KiB 2,789-3,194). 128 KiB against 256 KiB (native
    /// builds, alternating runs): the 261k-line binetflow 0.27 -> 0.26 s (9 runs), the 249k-line conn.log 0.39 -> 0.37 s
    /// (7 runs), a 2M-line conn.log 3.49 -> 3.32 s (3 runs); 64 KiB was no better on the binetflow (0.27 s) and 3.21 s on
    /// the long log.
    /// </summary>
    public const int DefaultBlockSize = 128 * 1024;

    private readonly Stream _stream;
    private readonly IngestStats _stats;
    private readonly IBlockScanner? _scanner;
    private readonly int _blockSize;
    private readonly int _maxLineLength;
    private readonly CancellationTokenSource _stop;
    private readonly SemaphoreSlim _slots;
    private readonly BlockingCollection<(LineBlock Block, long Sequence)> _work = new(new ConcurrentQueue<(LineBlock, long)>());
    private readonly BlockingCollection<LineBlock> _ordered = new(new ConcurrentQueue<LineBlock>());
    private readonly ConcurrentQueue<LineBlock> _freeBlocks = new();
    private readonly ConcurrentQueue<byte[]> _freeBuffers = new();
    private readonly List<LineBlock> _allBlocks = new();
    private readonly Thread[] _threads;
    private readonly IBlockParser[] _parsers;
    private readonly IBlockParser _ownParser;
    private LineBlock? _current;
    private int _index;
    private long _skipsGiven;
    private long _posted;
    private bool _disposed;

    /// <param name="stream">The file, read from its current position to its end; disposed with the pipeline.</param>
    /// <param name="stats">The input's counters, updated by <see cref="Next"/> block by block.</param>
    /// <param name="parserFactory">Makes one parser per worker.</param>
    /// <param name="scanner">The sequential scan, or null when lines do not depend on earlier ones.</param>
    /// <param name="workers">Parse threads (at least 1).</param>
    /// <param name="blockSize">Bytes read per block (a longer line makes its block longer, up to the line limit).</param>
    /// <param name="maxLineLength">Longest line accepted, as for <see cref="LineReader"/>.</param>
    /// <param name="cancellationToken">Stops the reader and the workers too.</param>
    public LineBlockPipeline(Stream stream, IngestStats stats, Func<IBlockParser> parserFactory, IBlockScanner? scanner, int workers,
                             int blockSize, int maxLineLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(parserFactory);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 1);
        _stream = stream;
        _stats = stats;
        _scanner = scanner;
        _blockSize = blockSize;
        _maxLineLength = maxLineLength;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _slots = new SemaphoreSlim(2 * workers, 2 * workers);
        _threads = new Thread[workers + 1];
        _parsers = new IBlockParser[workers];
        _ownParser = parserFactory();
        _threads[0] = new Thread(ReadLoop) { IsBackground = true, Name = "flow-file reader" };
        for (int i = 1; i <= workers; i++)
        {
            var parser = _parsers[i - 1] = parserFactory();
            _threads[i] = new Thread(() => WorkLoop(parser)) { IsBackground = true, Name = "flow-file parser " + i };
        }

        foreach (var t in _threads) t.Start();
    }

    /// <summary>
    /// Reads <paramref name="stream"/> through a pipeline into <paramref name="sink"/> (the stream is disposed in every
    /// case); <paramref name="ignored"/> gets the <see cref="LineBlock.Ignored"/> total of the blocks taken, also when
    /// the input ends in an error.
    /// </summary>
    public static void Run(Stream stream, IngestStats stats, Func<IBlockParser> parserFactory, IBlockScanner? scanner, int workers, int blockSize,
                           int maxLineLength, IEventSink sink, CancellationToken cancellationToken, Action<long>? ignored = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        LineBlockPipeline pipeline;
        try
        {
            pipeline = new LineBlockPipeline(stream, stats, parserFactory, scanner, workers, blockSize, maxLineLength, cancellationToken);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        using (pipeline)
        {
            try
            {
                while (pipeline.Next(cancellationToken) is { } record) sink.OnEvent(record);
            }
            finally
            {
                ignored?.Invoke(pipeline.Ignored);
            }
        }
    }

    /// <summary>Whether a stream is worth the pipeline: a file of at least two blocks, with more than one worker.</summary>
    public static bool Worthwhile(Stream stream, int workers, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return workers > 1 && stream.CanSeek && stream.Length - stream.Position >= 2L * blockSize;
    }

    /// <summary>The parse threads by default: one per processor.</summary>
    public static int DefaultWorkers => Environment.ProcessorCount;

    /// <summary>
    /// The next record in input order, or null at the end. Throws what ended the input (the reader's, a worker's or
    /// the scan's error) once the records before it were returned; <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public NetEvent? Next(CancellationToken cancellationToken)
    {
        while (true)
        {
            var block = _current;
            if (block is not null)
            {
                if (_index < block.Records.Count)
                {
                    GiveSkips(block, block.SkipsBefore[_index]);
                    if ((++_index & 0x3FF) == 0) cancellationToken.ThrowIfCancellationRequested();
                    return block.Records[_index - 1];
                }

                GiveSkips(block, block.Stats.Skipped);
                _current = null;
                var error = block.Error;
                Recycle(block);
                if (error is not null) ExceptionDispatchInfo.Throw(error);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!TakeOrdered(cancellationToken, out block)) return null;
            if (block.TryClaim(block.Sequence))
            {
                // No worker has started the block (on a loaded machine they may not be running at all): parsing it
                // here costs what a worker would, where waiting for a worker to be scheduled costs a wake-up latency.
                ParseHere(block, cancellationToken);
            }
            else
            {
                block.WaitDone(cancellationToken);
            }

            Merge(block);
            _current = block;
            _index = 0;
            _skipsGiven = 0;
        }
    }

    private void ParseHere(LineBlock block, CancellationToken cancellationToken)
    {
        try
        {
            _ownParser.Parse(block, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            block.Error = e;
        }

        ParsedHere++;
    }

    /// <summary>Blocks the caller parsed itself because no worker had started them (tests and measurements).</summary>
    public int ParsedHere { get; private set; }

    private bool TakeOrdered(CancellationToken cancellationToken, out LineBlock block)
    {
        try
        {
            return _ordered.TryTake(out block!, Timeout.Infinite, cancellationToken);
        }
        catch (InvalidOperationException) when (_ordered.IsCompleted)
        {
            block = null!;
            return false;
        }
    }

    /// <summary>Adds a block's counters to the input's when the block is taken.</summary>
    private void Merge(LineBlock block)
    {
        var s = block.Stats;
        _stats.Records += s.Records;
        _stats.Flows += s.Flows;
        _stats.Bytes += block.Bytes;
        Ignored += block.Ignored;
    }

    /// <summary>
    /// Gives the input the block's skip messages up to <paramref name="upTo"/>: those before a record just before it,
    /// so that the messages come in the serial read's order even when a merge (a Zeek directory) interleaves inputs.
    /// </summary>
    private void GiveSkips(LineBlock block, long upTo)
    {
        var messages = block.Stats.Messages;
        for (; _skipsGiven < upTo; _skipsGiven++)
        {
            // A block keeps its first messages only; past them the input's list is full anyway.
            _stats.Skip(_skipsGiven < messages.Count ? messages[(int)_skipsGiven] : messages[^1]);
        }
    }

    /// <summary>The sum of the blocks' <see cref="LineBlock.Ignored"/> taken so far.</summary>
    public long Ignored { get; private set; }

    /// <summary>
    /// Each record <see cref="Next"/> gave is done with (sent to a sink that keeps none) before <see cref="Next"/> is
    /// called again: a block's flow records are given back to it for its next lines once all of them were taken.
    /// </summary>
    public bool ReuseRecords { get; set; }

    private void Recycle(LineBlock block)
    {
        if (ReuseRecords)
        {
            foreach (NetEvent r in block.Records)
            {
                if (r is FlowRecord f) block.FreeFlows.Push(f);
            }
        }

        var data = block.TakeData();
        if (data.Length > 0) _freeBuffers.Enqueue(data);
        block.Records.Clear();
        block.SkipsBefore.Clear();
        _freeBlocks.Enqueue(block);
        _slots.Release();
    }

    private byte[] RentBuffer(int size)
    {
        while (_freeBuffers.TryDequeue(out var b))
        {
            if (b.Length >= size) return b;
        }

        return new byte[size];
    }

    private LineBlock NewBlock(byte[] data, int length, long firstLine, long bytes, bool tooLong)
    {
        if (!_freeBlocks.TryDequeue(out var block))
        {
            block = new LineBlock();
            _allBlocks.Add(block);
        }

        block.Reset(data, length, firstLine, bytes, tooLong);
        return block;
    }

    private void ReadLoop()
    {
        var token = _stop.Token;
        try
        {
            Read(token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped: the caller is gone or cancelled.
        }
        catch (Exception e)
        {
            // The reader's own failure (an I/O error) ends the input after the blocks before it.
            try
            {
                _slots.Wait(token);
                var block = NewBlock(Array.Empty<byte>(), 0, 0, 0, false);
                block.Error = e;
                block.MarkDone();
                _ordered.Add(block, token);
            }
            catch (OperationCanceledException)
            {
                // Stopped meanwhile.
            }
        }
        finally
        {
            _work.CompleteAdding();
            _ordered.CompleteAdding();
        }
    }

    private void Read(CancellationToken token)
    {
        byte[] buf = RentBuffer(_blockSize);
        int len = 0;
        bool eof = false;
        long line = 1;
        while (true)
        {
            if (!eof && len < buf.Length)
            {
                int n = _stream.ReadAtLeast(buf.AsSpan(len), buf.Length - len, throwOnEndOfStream: false);
                len += n;
                if (len < buf.Length) eof = true;
            }

            if (len == 0) return;
            int last = buf.AsSpan(0, len).LastIndexOf((byte)'\n');
            int cut;
            if (last >= 0)
            {
                cut = last + 1;
            }
            else if (eof)
            {
                cut = len;
            }
            else if (len > _maxLineLength + 1)
            {
                // The line cannot be accepted (LineReader drops it the same way): discard it up to its newline.
                long dropped = len;
                len = 0;
                while (true)
                {
                    int n = _stream.Read(buf, 0, buf.Length);
                    if (n == 0)
                    {
                        eof = true;
                        break;
                    }

                    int nl = buf.AsSpan(0, n).IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        dropped += n;
                        continue;
                    }

                    dropped += nl + 1;
                    len = n - nl - 1;
                    buf.AsSpan(nl + 1, len).CopyTo(buf);
                    break;
                }

                _slots.Wait(token);
                if (!Post(NewBlock(Array.Empty<byte>(), 0, line, dropped, tooLong: true), token)) return;
                line++;
                continue;
            }
            else
            {
                // A line longer than the block: grow the block up to the line limit, as LineReader grows its buffer.
                var bigger = new byte[(int)Math.Min((long)buf.Length * 2, _maxLineLength + 2L)];
                buf.AsSpan(0, len).CopyTo(bigger);
                buf = bigger;
                continue;
            }

            var data = buf.AsSpan(0, cut);
            long lines = data.Count((byte)'\n') + (data[^1] == (byte)'\n' ? 0 : 1);
            int carry = len - cut;
            var next = RentBuffer(carry < _blockSize ? _blockSize : buf.Length);
            buf.AsSpan(cut, carry).CopyTo(next);
            _slots.Wait(token);
            if (!Post(NewBlock(buf, cut, line, cut, tooLong: false), token)) return;
            line += lines;
            buf = next;
            len = carry;
        }
    }

    /// <summary>Scans a filled block and queues it; false when the scan ended the input there (nothing after it is read).</summary>
    private bool Post(LineBlock block, CancellationToken token)
    {
        if (_scanner is not null)
        {
            try
            {
                _scanner.Scan(block, _maxLineLength);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                block.Error = e;
                block.ErrorLine = block.FirstLine;
            }
        }

        block.Open(_posted++);
        _ordered.Add(block, token);
        _work.Add((block, block.Sequence), token);
        return block.Error is null;
    }

    private void WorkLoop(IBlockParser parser)
    {
        var token = _stop.Token;
        try
        {
            while (_work.TryTake(out var item, Timeout.Infinite, token))
            {
                var block = item.Block;
                if (!block.TryClaim(item.Sequence)) continue;
                try
                {
                    parser.Parse(block, token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // The block ends the input here; its error replaces a later one the scan found.
                    block.Error = e;
                }

                block.MarkDone();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped.
        }
        catch (InvalidOperationException) when (_work.IsCompleted)
        {
            // The reader finished.
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        foreach (var t in _threads) t.Join();
        _stream.Dispose();
        _stop.Dispose();
        _slots.Dispose();
        _work.Dispose();
        _ordered.Dispose();
        foreach (var block in _allBlocks) block.Dispose();
        foreach (var parser in _parsers) (parser as IDisposable)?.Dispose();
        (_ownParser as IDisposable)?.Dispose();
    }
}

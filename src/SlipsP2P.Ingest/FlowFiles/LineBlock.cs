using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// A run of whole lines of a flow file, parsed by one worker of <see cref="LineBlockPipeline"/>, and what came of it:
/// the records in line order, the counters and skip messages, and the error that ended the input there, if any.
/// </summary>
internal sealed class LineBlock : IEventSink, IDisposable
{
    private readonly ManualResetEventSlim _done = new(false);
    private long _ticket = -1;

    /// <summary>The block's bytes: whole lines, each ending in '\n' except the last line of the file.</summary>
    public byte[] Data { get; private set; } = Array.Empty<byte>();

    /// <summary>Bytes of <see cref="Data"/> in use.</summary>
    public int Length { get; private set; }

    /// <summary>1-based number of the block's first line.</summary>
    public long FirstLine { get; private set; }

    /// <summary>Input bytes the block stands for (a discarded over-long line has no data but its bytes).</summary>
    public long Bytes { get; set; }

    /// <summary>The block is one line longer than the reader's limit, discarded up to its end.</summary>
    public bool TooLong { get; private set; }

    /// <summary>What the sequential scan (<see cref="IBlockScanner"/>) found in force at the block's start.</summary>
    public object? State { get; set; }

    /// <summary>
    /// An error the scan met at line <see cref="ErrorLine"/>: the worker parses the lines before it and the block then
    /// ends the input with it. The reader's own failure comes as a block with no lines and this set.
    /// </summary>
    public Exception? Error { get; set; }

    /// <summary>The line of <see cref="Error"/>; lines from it on are not parsed.</summary>
    public long ErrorLine { get; set; } = long.MaxValue;

    /// <summary>Records parsed from the block, in line order (added with <see cref="OnEvent"/>).</summary>
    public List<NetEvent> Records { get; } = new();

    /// <summary>
    /// Flow records of the block's earlier lines that the sink is done with, for the parser to reuse (filled by
    /// <see cref="LineBlockPipeline"/> when its sink keeps no records; kept across <see cref="Reset"/>).
    /// </summary>
    public Stack<FlowRecord> FreeFlows { get; } = new();

    /// <summary>For each record, the block's skipped lines before it: its messages go to the input's list just before the record, as the serial read gives them.</summary>
    public List<long> SkipsBefore { get; } = new();

    /// <summary>The block's own counters and first skip messages, added to the input's in block order.</summary>
    public IngestStats Stats { get; private set; } = new();

    /// <summary>A count of the format's own (Suricata: events of a type that is not read).</summary>
    public long Ignored { get; set; }

    /// <summary>The bytes of the block as a span.</summary>
    public ReadOnlySpan<byte> Span => Data.AsSpan(0, Length);

    public void OnEvent(NetEvent record)
    {
        Records.Add(record);
        SkipsBefore.Add(Stats.Skipped);
    }

    /// <summary>Makes a recycled block hold new lines.</summary>
    public void Reset(byte[] data, int length, long firstLine, long bytes, bool tooLong)
    {
        Volatile.Write(ref _ticket, -1);
        Data = data;
        Length = length;
        FirstLine = firstLine;
        Bytes = bytes;
        TooLong = tooLong;
        State = null;
        Error = null;
        ErrorLine = long.MaxValue;
        Records.Clear();
        SkipsBefore.Clear();
        Stats = new IngestStats();
        Ignored = 0;
        _done.Reset();
    }

    /// <summary>The block's place in the input (0, 1, 2 ...), set by <see cref="Open"/>.</summary>
    public long Sequence { get; private set; } = -1;

    /// <summary>
    /// Makes the filled block claimable as block <paramref name="sequence"/>. A recycled block object can still sit in
    /// the work queue under its former place; that entry's claim fails, since it names the old sequence.
    /// </summary>
    public void Open(long sequence)
    {
        Sequence = sequence;
        Volatile.Write(ref _ticket, sequence);
    }

    /// <summary>Makes the block the caller's to parse: true for the first caller only (a worker or the consumer).</summary>
    public bool TryClaim(long sequence) => Interlocked.CompareExchange(ref _ticket, -1, sequence) == sequence;

    /// <summary>The worker is done with the block (parsed, or failed with <see cref="Error"/>).</summary>
    public void MarkDone() => _done.Set();

    /// <summary>Waits until a worker is done with the block.</summary>
    public void WaitDone(CancellationToken cancellationToken) => _done.Wait(cancellationToken);

    public void Dispose() => _done.Dispose();

    /// <summary>Gives up the block's bytes (they go back to the pipeline's pool).</summary>
    public byte[] TakeData()
    {
        var data = Data;
        Data = Array.Empty<byte>();
        Length = 0;
        return data;
    }
}

/// <summary>Parses blocks of lines on one worker thread; one instance per worker (its caches are its own).</summary>
internal interface IBlockParser
{
    /// <summary>
    /// Parses the lines of <paramref name="block"/> before <see cref="LineBlock.ErrorLine"/> into its records and
    /// stats, checking <paramref name="cancellationToken"/> now and then.
    /// </summary>
    void Parse(LineBlock block, CancellationToken cancellationToken);
}

/// <summary>
/// Follows the state that lines change for the lines after them (Zeek's # headers, the Argus header line), block by
/// block in input order on the reader thread, so each block can be parsed with the state in force at its start.
/// </summary>
internal interface IBlockScanner
{
    /// <summary>
    /// Sets <see cref="LineBlock.State"/> to the state at the block's start and moves the state over the block's lines;
    /// a line that ends the input sets <see cref="LineBlock.Error"/> and <see cref="LineBlock.ErrorLine"/>.
    /// </summary>
    void Scan(LineBlock block, int maxLineLength);
}

/// <summary>
/// The lines of a <see cref="LineBlock"/>, split as <see cref="LineReader"/> splits them: without the end-of-line
/// bytes, and a line longer than the limit reported as <see cref="LineStatus.TooLong"/>.
/// </summary>
internal ref struct BlockLines
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _maxLineLength;
    private readonly long _stopLine;
    private int _pos;
    private bool _tooLong;

    public BlockLines(LineBlock block, int maxLineLength)
    {
        _data = block.Span;
        _maxLineLength = maxLineLength;
        _stopLine = block.ErrorLine;
        _tooLong = block.TooLong;
        LineNumber = block.FirstLine - 1;
    }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Offset of the line last returned in the block's data.</summary>
    public int Offset { get; private set; }

    /// <summary>Offset just past the line last returned and its end-of-line bytes.</summary>
    public readonly int End => _pos;

    /// <summary>
    /// The next line that is not blank, as <see cref="LineReader.NextRecord"/> gives it: an over-long line is counted
    /// in <paramref name="stats"/> as a skipped record; cancellation is checked every 1024 lines.
    /// </summary>
    public bool NextRecord(out ReadOnlySpan<byte> line, IngestStats stats, string name, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = Next(out line);
            if (status == LineStatus.End) return false;
            if ((LineNumber & 0x3FF) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (status == LineStatus.TooLong)
            {
                LineReader.SkipTooLong(stats, name, LineNumber, _maxLineLength);
                continue;
            }

            if (!FieldText.Trim(line).IsEmpty) return true;
        }
    }

    /// <summary>The next line, or <see cref="LineStatus.End"/> at the block's end or its error line.</summary>
    public LineStatus Next(out ReadOnlySpan<byte> line)
    {
        line = default;
        if (LineNumber + 1 >= _stopLine) return LineStatus.End;
        if (_tooLong)
        {
            _tooLong = false;
            LineNumber++;
            return LineStatus.TooLong;
        }

        if (_pos >= _data.Length) return LineStatus.End;
        var rest = _data[_pos..];
        int start = _pos;
        LineNumber++;
        int nl = rest.IndexOf((byte)'\n');
        int len;
        if (nl >= 0)
        {
            _pos += nl + 1;
            len = nl > 0 && rest[nl - 1] == (byte)'\r' ? nl - 1 : nl;
            if (len > _maxLineLength) return LineStatus.TooLong;
        }
        else
        {
            // The file's last line, without a newline: LineReader measures it before taking off a '\r'.
            _pos = _data.Length;
            if (rest.Length > _maxLineLength) return LineStatus.TooLong;
            len = rest[^1] == (byte)'\r' ? rest.Length - 1 : rest.Length;
        }

        Offset = start;
        line = rest[..len];
        return LineStatus.Line;
    }
}

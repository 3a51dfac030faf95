using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>What <see cref="LineReader.Next"/> found.</summary>
internal enum LineStatus
{
    /// <summary>A line (without its end-of-line bytes).</summary>
    Line,
    /// <summary>A line longer than the limit; it was discarded up to its end.</summary>
    TooLong,
    /// <summary>End of input.</summary>
    End,
}

/// <summary>
/// Splits a stream into lines over one reusable byte buffer: no allocation per line. Lines longer than
/// <see cref="MaxLineLength"/> are discarded (the caller reports them), so a file without newlines cannot make the
/// buffer grow without bound.
/// </summary>
internal sealed class LineReader : IDisposable
{
    /// <summary>The longest line accepted by default (Zeek http.log lines with long URIs stay far below this).</summary>
    public const int DefaultMaxLineLength = 1 << 20;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;

    public LineReader(Stream stream, int maxLineLength = DefaultMaxLineLength, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 16);
        _stream = stream;
        _leaveOpen = leaveOpen;
        MaxLineLength = maxLineLength;
        _buffer = new byte[Math.Min(64 * 1024, maxLineLength + 2)];
    }

    /// <summary>Longest line returned; longer ones give <see cref="LineStatus.TooLong"/>.</summary>
    public int MaxLineLength { get; }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Bytes consumed so far, end-of-line bytes included.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The buffer that the last returned line lives in (valid until the next call).</summary>
    public byte[] Buffer => _buffer;

    /// <summary>Offset of the last returned line in <see cref="Buffer"/>.</summary>
    public int LineOffset { get; private set; }

    /// <summary>Reads the next line; <paramref name="line"/> is valid until the next call.</summary>
    public LineStatus Next(out ReadOnlySpan<byte> line)
    {
        bool discarding = false;
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            int nl = pending.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                int lineStart = _start;
                _start += nl + 1;
                BytesRead += nl + 1;
                LineNumber++;
                if (discarding || nl > MaxLineLength + 1)
                {
                    line = default;
                    return LineStatus.TooLong;
                }

                int len = nl > 0 && pending[nl - 1] == (byte)'\r' ? nl - 1 : nl;
                if (len > MaxLineLength)
                {
                    line = default;
                    return LineStatus.TooLong;
                }

                LineOffset = lineStart;
                line = _buffer.AsSpan(lineStart, len);
                return LineStatus.Line;
            }

            if (_eof)
            {
                if (pending.Length == 0 && !discarding)
                {
                    line = default;
                    return LineStatus.End;
                }

                int lineStart = _start;
                _start = _end;
                BytesRead += pending.Length;
                LineNumber++;
                if (discarding || pending.Length > MaxLineLength)
                {
                    line = default;
                    return LineStatus.TooLong;
                }

                int len = pending.Length > 0 && pending[^1] == (byte)'\r' ? pending.Length - 1 : pending.Length;
                LineOffset = lineStart;
                line = _buffer.AsSpan(lineStart, len);
                return LineStatus.Line;
            }

            if (pending.Length > MaxLineLength + 1)
            {
                // The line cannot fit: drop what we have and keep dropping until its newline.
                BytesRead += pending.Length;
                _start = _end = 0;
                discarding = true;
            }
            else if (_start > 0)
            {
                pending.CopyTo(_buffer);
                _start = 0;
                _end = pending.Length;
            }

            if (_end == _buffer.Length)
            {
                int size = (int)Math.Min((long)_buffer.Length * 2, MaxLineLength + 2L);
                if (size > _buffer.Length) Array.Resize(ref _buffer, size);
            }

            int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0) _eof = true;
            else _end += n;
        }
    }

    /// <summary>
    /// The next non-blank line of a record-per-line input, or false at the end. An over-long line is counted as a
    /// skipped record with a message naming <paramref name="name"/> and the line; cancellation is checked every
    /// 1024 lines.
    /// </summary>
    public bool NextRecord(out ReadOnlySpan<byte> line, IngestStats stats, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stats);
        while (true)
        {
            var status = Next(out line);
            if (status == LineStatus.End) return false;
            if ((LineNumber & 0x3FF) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (status == LineStatus.TooLong)
            {
                SkipTooLong(stats, name, LineNumber, MaxLineLength);
                continue;
            }

            if (!FieldText.Trim(line).IsEmpty) return true;
        }
    }

    /// <summary>Counts an over-long line as a skipped record, with the message every reader gives for it.</summary>
    internal static void SkipTooLong(IngestStats stats, string name, long lineNumber, int maxLineLength)
    {
        stats.Records++;
        stats.Skip($"{name}: line {lineNumber}: longer than {maxLineLength} bytes");
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>What a Zeek log's header lines have set, as in force at some line: shared, never changed.</summary>
internal sealed record ZeekHeaderState(int Version, ZeekLogKind Kind, ZeekField[] Columns, byte Separator, byte SetSeparator,
                                       byte[] EmptyField, byte[] UnsetField);

/// <summary>
/// Follows a Zeek log's header lines (#separator, #fields, #path ..., a second header after #close) block by block, so
/// each block of <see cref="LineBlockPipeline"/> is parsed with the header in force at its start. Only lines that
/// start with '#' or a blank can be headers; they are found with vectorised searches for "\n#", "\n " and "\n\t".
/// </summary>
internal sealed class ZeekHeaderScanner : IBlockScanner, IDisposable
{
    private readonly ZeekLogReader _reader;

    public ZeekHeaderScanner(string name, ZeekLogKind kind, int maxLineLength) => _reader = new ZeekLogReader(name, kind, maxLineLength);

    public void Scan(LineBlock block, int maxLineLength)
    {
        block.State = _reader.Snapshot();
        var data = block.Span;
        if (data.IsEmpty) return;
        int hash = -1, space = -1, tab = -1;
        int pos = 0;
        while (pos < data.Length)
        {
            byte first = data[pos];
            int nl = data[pos..].IndexOf((byte)'\n');
            int end = nl < 0 ? data.Length : pos + nl;
            if (first is (byte)'#' or (byte)' ' or (byte)'\t')
            {
                var line = data[pos..end];
                int len = nl >= 0 && line.Length > 0 && line[^1] == (byte)'\r' ? line.Length - 1 : line.Length;

                // A line past the limit is skipped, never applied (as LineReader reports it); the file's last line
                // is measured with its '\r'.
                if ((nl >= 0 ? len : line.Length) <= maxLineLength
                    && ZeekLogReader.IsHeader(line[..len], out var header) && !header.IsEmpty)
                {
                    // The scan's own messages are dropped (the worker applies the same line and gives them), so the
                    // line number does not matter here.
                    _reader.ApplyHeader(header, block.FirstLine);
                }
            }

            if (nl < 0) return;
            hash = NextAfter(data, "\n#"u8, hash, end);
            space = NextAfter(data, "\n "u8, space, end);
            tab = NextAfter(data, "\n\t"u8, tab, end);
            int next = Math.Min(hash, Math.Min(space, tab));
            if (next == int.MaxValue) return;
            pos = next + 1;
        }
    }

    public void Dispose() => _reader.Dispose();

    /// <summary>The next occurrence of <paramref name="pattern"/> at or after <paramref name="from"/>, found again only when the last one is behind.</summary>
    private static int NextAfter(ReadOnlySpan<byte> data, ReadOnlySpan<byte> pattern, int last, int from)
    {
        if (last >= from || last == int.MaxValue) return last;
        int i = data[from..].IndexOf(pattern);
        return i < 0 ? int.MaxValue : from + i;
    }
}

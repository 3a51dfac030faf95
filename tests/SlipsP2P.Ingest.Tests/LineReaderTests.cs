using System.Text;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// The byte-level line splitting under every flow-file reader, in the RESPite segmentation variants: the input
/// right-sized, inside a larger array with guard bytes, split into two reads at every offset, and one byte per read.
/// Every variant must give the same lines, line numbers and byte counts as one read of the whole input.
/// </summary>
public sealed class LineReaderTests
{
    // LF and CRLF ends, blank lines, a lone CR inside a line, a last line without an end.
    private const string Mixed = "first\nsecond\r\n\n\r\nthird\rstill third\nfourth, the last one";

    public static TheoryData<string, int> Inputs => new()
    {
        { Mixed, 64 },
        { "a\nbb\nccc\n", 16 },
        { "exactly sixteen!\nexactly sixteen!\r\nseventeen bytes!!\nx\n", 16 },
        { new string('L', 70) + "\nafter a long line\n" + new string('M', 40), 16 },
        { "", 16 },
        { "\n\n\n", 16 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Next_SplitIntoTwoReadsAtEveryOffset_SameLinesAsOneRead(string text, int maxLineLength)
    {
        byte[] data = Encoding.ASCII.GetBytes(text);
        var expected = ReadAll(new MemoryStream(data), maxLineLength);
        for (int split = 0; split <= data.Length; split++)
        {
            var actual = ReadAll(new ChunkedStream(data, split), maxLineLength);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Next_OneBytePerRead_SameLinesAsOneRead(string text, int maxLineLength)
    {
        byte[] data = Encoding.ASCII.GetBytes(text);
        Assert.Equal(ReadAll(new MemoryStream(data), maxLineLength), ReadAll(new ChunkedStream(data, 0, chunk: 1), maxLineLength));
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Next_InputInsideGuardBytes_NoGuardByteInAnyLine(string text, int maxLineLength)
    {
        byte[] data = Encoding.ASCII.GetBytes(text);
        var padded = new byte[data.Length + 32];
        padded.AsSpan().Fill(0xFF);
        data.CopyTo(padded, 16);
        var actual = ReadAll(new MemoryStream(padded, 16, data.Length, writable: false), maxLineLength);
        Assert.Equal(ReadAll(new MemoryStream(data), maxLineLength), actual);
        Assert.DoesNotContain(actual, l => l.Text.Contains('\u00FF', StringComparison.Ordinal));
    }

    [Fact]
    public void Next_MixedEnds_LinesWithoutTheirEnds()
    {
        var lines = ReadAll(new MemoryStream(Encoding.ASCII.GetBytes(Mixed)), 64);
        Assert.Equal(
            ["Line 1 first", "Line 2 second", "Line 3 ", "Line 4 ", "Line 5 third\rstill third", "Line 6 fourth, the last one"],
            lines.ConvertAll(l => $"{l.Status} {l.Number} {l.Text}"));
        Assert.Equal(Mixed.Length, lines[^1].BytesRead);
    }

    [Fact]
    public void Next_LinesAroundTheLimit_LongerOnesTooLongAndSkippedWhole()
    {
        // 16 bytes is the limit: 16 with LF or CRLF is a line; 17 is too long and its bytes never leak into the next.
        var lines = ReadAll(new MemoryStream(Encoding.ASCII.GetBytes("exactly sixteen!\nexactly sixteen!\r\nseventeen bytes!!\nx\n")), 16);
        Assert.Equal(
            ["Line exactly sixteen!", "Line exactly sixteen!", "TooLong ", "Line x"],
            lines.ConvertAll(l => $"{l.Status} {l.Text}"));
    }

    [Fact]
    public void NextRecord_OverLongAndBlankLines_SkippedWithFileAndLineNamed()
    {
        var stats = new IngestStats();
        using var reader = new LineReader(new ChunkedStream(Encoding.ASCII.GetBytes("a\n  \n" + new string('x', 100) + "\n\tb\n"), 3, chunk: 7), 16);
        var got = new List<string>();
        while (reader.NextRecord(out var line, stats, "flows.txt", TestContext.Current.CancellationToken)) got.Add($"{reader.LineNumber}:{Encoding.ASCII.GetString(line)}");
        Assert.Equal(["1:a", "4:\tb"], got);
        Assert.Equal(["flows.txt: line 3: longer than 16 bytes"], stats.Messages);
    }

    [Fact]
    public void NextRecord_Cancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("line\n", 5000)));
        using var reader = new LineReader(new MemoryStream(data), 64);
        Assert.Throws<OperationCanceledException>(() =>
        {
            while (reader.NextRecord(out _, new IngestStats(), "x", cts.Token)) { }
        });
    }

    private static List<(LineStatus Status, long Number, string Text, long BytesRead)> ReadAll(Stream stream, int maxLineLength)
    {
        var result = new List<(LineStatus, long, string, long)>();
        using var reader = new LineReader(stream, maxLineLength);
        while (true)
        {
            var status = reader.Next(out var line);
            if (status == LineStatus.End) break;
            result.Add((status, reader.LineNumber, Encoding.Latin1.GetString(line), reader.BytesRead));
            Assert.True(result.Count < 10_000, "the reader does not end");
        }

        return result;
    }

    /// <summary>Returns its data in reads of at most <c>chunk</c> bytes, the first one ending at <c>split</c>.</summary>
    private sealed class ChunkedStream(byte[] data, int split, int chunk = int.MaxValue) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int limit = _position < split ? split - _position : data.Length - _position;
            int n = Math.Min(Math.Min(buffer.Length, limit), chunk);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

using System.Buffers;

namespace SlipsP2P.Libp2p.Tests.Support;

/// <summary>The RESPite segmentation variants: right-sized, guard bytes, split at every offset, one byte per segment.</summary>
internal static class Segments
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    public static ReadOnlySequence<byte> FromChunks(params byte[][] chunks)
    {
        if (chunks.Length == 1) return new ReadOnlySequence<byte>(chunks[0]);
        var first = new Segment(chunks[0], 0);
        var last = first;
        for (int i = 1; i < chunks.Length; i++) last = last.Append(chunks[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Every variant of <paramref name="data"/> as (name, sequence, expected trailing guard length).</summary>
    public static IEnumerable<(string Name, ReadOnlySequence<byte> Sequence, int Guard)> Variants(byte[] data)
    {
        yield return ("right-sized", new ReadOnlySequence<byte>(data), 0);
        var guarded = new byte[data.Length + 8];
        data.CopyTo(guarded, 0);
        guarded.AsSpan(data.Length).Fill(0xCC);
        yield return ("guard-bytes", new ReadOnlySequence<byte>(guarded), 8);
        for (int i = 1; i < data.Length; i++)
        {
            yield return ($"split@{i}", FromChunks(data[..i], data[i..]), 0);
        }

        var ones = new byte[data.Length][];
        for (int i = 0; i < data.Length; i++) ones[i] = [data[i]];
        if (data.Length > 1) yield return ("one-byte-segments", FromChunks(ones), 0);
    }
}

using System.Buffers;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

/// <summary>Builds multi-segment sequences for the RESPite segmentation variants.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        if (parts.Length == 1) return new ReadOnlySequence<byte>(parts[0]);
        Segment? first = null, last = null;
        foreach (var part in parts)
        {
            var s = new Segment(part);
            if (first is null) first = s;
            else last!.Append(s);
            last = s;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Split at <paramref name="offset"/> into two segments.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] data, int offset) => Of(data[..offset], data[offset..]);

    /// <summary>One byte per segment.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data)
    {
        var parts = new byte[data.Length][];
        for (int i = 0; i < data.Length; i++) parts[i] = [data[i]];
        return Of(parts);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}

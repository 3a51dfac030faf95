using System.Buffers;
using Shared = SlipsP2P.Libp2p.Tests.Support.Segments;

namespace SlipsP2P.Fuzz;

/// <summary>Builds multi-segment sequences so that frame readers also meet headers split across segments.</summary>
public static class Segments
{
    /// <summary>
    /// Copies <paramref name="data"/> into a sequence of segments of <paramref name="chunk"/> bytes (the last may be
    /// shorter); a chunk of 0 or less gives one segment.
    /// </summary>
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> data, int chunk)
    {
        if (chunk <= 0 || chunk >= data.Length) return new ReadOnlySequence<byte>(data.ToArray());
        var chunks = new byte[(data.Length + chunk - 1) / chunk][];
        for (int i = 0; i < chunks.Length; i++) chunks[i] = data.Slice(i * chunk, Math.Min(chunk, data.Length - (i * chunk))).ToArray();
        return Shared.FromChunks(chunks);
    }

    /// <summary>A chunk size taken from the input itself (1 to 8 bytes, or whole), so that every input is split its own way.</summary>
    public static int ChunkFor(ReadOnlySpan<byte> data) => data.IsEmpty ? 0 : (data[^1] % 9);
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SlipsP2P.Core;

/// <summary>
/// Prefetch hints: asks the CPU to start loading memory that a later step reads, so that its cache miss overlaps
/// with the work in between instead of stalling it. A hint never faults and changes nothing; where the instruction
/// does not exist it is skipped. An object may move after its address was read: the hint then loads a line nobody
/// reads, which costs nothing but the load.
/// </summary>
public static class CacheHint
{
    /// <summary>The first <paramref name="lines"/> 64-byte lines of <paramref name="o"/> (1 to 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object? o, int lines = 2)
    {
        if (!Sse.IsSupported || o is null) return;
        byte* p = *(byte**)Unsafe.AsPointer(ref o);
        Sse.Prefetch0(p);
        if (lines > 1) Sse.Prefetch0(p + 64);
        if (lines > 2) Sse.Prefetch0(p + 128);
        if (lines > 3) Sse.Prefetch0(p + 192);
    }

    /// <summary>The lines of a struct in an array (or any other managed location) of <paramref name="bytes"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch<T>(ref T location, int bytes)
    {
        if (!Sse.IsSupported) return;
        byte* p = (byte*)Unsafe.AsPointer(ref location);
        for (int i = 0; i < bytes; i += 64) Sse.Prefetch0(p + i);
    }
}

using System.Numerics;
using System.Runtime.InteropServices;

namespace SlipsP2P.Detection.Profiling;

/// <summary>
/// 64-bit hashes that stand in for a key in a membership set ("was this uid seen in an HTTP record?"), so that the
/// set holds 8 bytes per key instead of a reference that keeps a 56-byte uid string (or a 32-byte address pair) alive.
/// </summary>
/// <remarks>
/// Issue 5 (memory bounded by the traffic's state): on the 2M-packet generated capture the service-mismatch uid sets
/// kept 92,000 uid strings (5.9 MB) that nothing else referenced. A set of <c>n</c> hashes answers a wrong "seen" for
/// an unseen key with probability about <c>n / 2^64</c> (below 1e-13 at the sets' caps of 131,072): use it only where
/// such an answer costs one missed evidence, never where a key must be given back.
/// </remarks>
internal static class KeyHash
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;

    /// <summary>The hash of a string's characters (ordinal).</summary>
    public static ulong Of(ReadOnlySpan<char> text)
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(text);
        ulong h = Prime2 ^ (ulong)bytes.Length;
        while (bytes.Length >= sizeof(ulong))
        {
            h = Round(h, MemoryMarshal.Read<ulong>(bytes));
            bytes = bytes[sizeof(ulong)..];
        }

        if (bytes.Length > 0)
        {
            ulong tail = 0;
            for (int i = 0; i < bytes.Length; i++) tail |= (ulong)bytes[i] << (8 * i);
            h = Round(h, tail);
        }

        return Finish(h);
    }

    /// <summary>The hash of an ordered pair of addresses.</summary>
    public static ulong Of(IpAddr first, IpAddr second)
    {
        ulong h = Prime2 ^ 32;
        h = Round(h, first.High);
        h = Round(h, first.Low);
        h = Round(h, second.High);
        h = Round(h, second.Low);
        return Finish(h);
    }

    private static ulong Round(ulong h, ulong lane)
    {
        // xxHash64's lane round folded into a running state.
        ulong k = BitOperations.RotateLeft(lane * Prime2, 31) * Prime1;
        return (BitOperations.RotateLeft(h ^ k, 27) * Prime1) + 0x85EBCA77C2B2AE63UL;
    }

    private static ulong Finish(ulong h)
    {
        // SplitMix64's finaliser: every input bit reaches every output bit.
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }
}

using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Flows;

/// <summary>
/// Zeek-shaped connection uids: "C" followed by 17 base62 characters, made packed (<see cref="PackedUid"/>: records
/// make the text only when it is read). Deterministic: the n-th flow of an input with the same seed always gets the
/// same uid, so the same file gives the same uids on every run.
/// </summary>
public static class FlowUid
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>The uid of flow number <paramref name="counter"/> under <paramref name="seed"/>.</summary>
    public static PackedUid Create(ulong seed, long counter)
    {
        Span<char> text = stackalloc char[Length];
        Write(seed, counter, text);
        PackedUid.TryPack(text, out var packed);
        return packed;
    }

    private const int Length = 18;

    private static void Write(ulong seed, long counter, Span<char> span)
    {
        ulong x = Mix(seed + ((ulong)counter * 0x9E3779B97F4A7C15UL));
        ulong y = Mix(x ^ 0xD6E8FEB86659FD93UL);
        span[0] = 'C';
        for (int i = 1; i < Length; i++)
        {
            // 17 digits: the first 9 from one 64-bit value, the rest from the other (62^9 < 2^64).
            ref ulong v = ref (i <= 9 ? ref x : ref y);
            span[i] = Alphabet[(int)(v % 62)];
            v /= 62;
        }
    }

    private static ulong Mix(ulong z)
    {
        // SplitMix64 finaliser.
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Flows;

/// <summary>
/// Zeek-shaped connection uids: "C" followed by 17 base62 characters, made packed (<see cref="PackedUid"/>: records
/// make the text only when it is read). Deterministic: the n-th flow of an input with the same seed always gets the
/// same uid, so the same file gives the same uids on every run.
/// </summary>
public static class FlowUid
{
    // The code PackedUid gives 'C', the first character of every uid (its alphabet index, 12, plus one).
    private const ulong PrefixCode = 13;

    /// <summary>
    /// The uid of flow number <paramref name="counter"/> under <paramref name="seed"/>: "C" and 17 base62 digits, the
    /// first 9 from one 64-bit value and the other 8 from a second (62^9 &lt; 2^64), made directly as
    /// <see cref="PackedUid"/> codes (each digit's alphabet index plus one). Writing the text and packing it back took
    /// 1.2% of a pinned capture's samples, this 0.4% (issue 5).
    /// </summary>
    public static PackedUid Create(ulong seed, long counter)
    {
        ulong x = Mix(seed + ((ulong)counter * 0x9E3779B97F4A7C15UL));
        ulong y = Mix(x ^ 0xD6E8FEB86659FD93UL);
        ulong low = PrefixCode;
        for (int i = 1; i < PackedUid.CharsPerHalf; i++)
        {
            low |= ((x % 62) + 1) << (6 * i);
            x /= 62;
        }

        ulong high = 0;
        for (int i = 0; i < Length - PackedUid.CharsPerHalf; i++)
        {
            high |= ((y % 62) + 1) << (6 * i);
            y /= 62;
        }

        return PackedUid.FromCodes(low, high);
    }

    private const int Length = 18;

    private static ulong Mix(ulong z)
    {
        // SplitMix64 finaliser.
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

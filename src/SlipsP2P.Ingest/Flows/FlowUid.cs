namespace SlipsP2P.Ingest.Flows;

/// <summary>
/// Zeek-shaped connection uids: "C" followed by 17 base62 characters. Deterministic: the n-th flow of an input with
/// the same seed always gets the same uid, so the same file gives the same uids on every run.
/// </summary>
public static class FlowUid
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>The uid of flow number <paramref name="counter"/> under <paramref name="seed"/>.</summary>
    public static string Create(ulong seed, long counter)
    {
        ulong a = Mix(seed + ((ulong)counter * 0x9E3779B97F4A7C15UL));
        ulong b = Mix(a ^ 0xD6E8FEB86659FD93UL);
        return string.Create(18, (a, b), static (span, s) =>
        {
            span[0] = 'C';
            ulong x = s.a;
            ulong y = s.b;
            for (int i = 1; i < 18; i++)
            {
                // 17 digits: the first 9 from one 64-bit value, the rest from the other (62^9 < 2^64).
                ref ulong v = ref (i <= 9 ? ref x : ref y);
                span[i] = Alphabet[(int)(v % 62)];
                v /= 62;
            }
        });
    }

    private static ulong Mix(ulong z)
    {
        // SplitMix64 finaliser.
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

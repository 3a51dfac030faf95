namespace SlipsP2P.Core;

/// <summary>
/// SplitMix64's finaliser: a bijection on 64-bit values in which every input bit reaches every output bit. The flow
/// uids (<see cref="PackedUid.FromNumber"/>'s check digits, <c>FlowUid</c>'s numbers) and the workers' symmetric flow
/// hash mix with it.
/// </summary>
public static class SplitMix64
{
    /// <summary>The mixed value of <paramref name="z"/>.</summary>
    public static ulong Finalise(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

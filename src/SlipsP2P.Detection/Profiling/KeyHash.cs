using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace SlipsP2P.Detection.Profiling;

/// <summary>
/// 64-bit hashes (XXH3) that stand in for a key in a membership set ("was this uid seen in an HTTP record?"), so that
/// the set holds 8 bytes per key instead of a reference that keeps a 56-byte uid string (or a 32-byte address pair)
/// alive.
/// </summary>
/// <remarks>
/// Issue 5 (memory bounded by the traffic's state): on the 2M-packet generated capture the service-mismatch uid sets
/// kept 92,000 uid strings (5.9 MB) that nothing else referenced. A set of <c>n</c> hashes answers a wrong "seen" for
/// an unseen key with probability about <c>n / 2^64</c> (below 1e-13 at the sets' caps of 131,072): use it only where
/// such an answer costs one missed evidence, never where a key must be given back.
/// </remarks>
internal static class KeyHash
{
    /// <summary>The hash of a string's characters (ordinal).</summary>
    public static ulong Of(ReadOnlySpan<char> text) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text));

    /// <summary>
    /// The hash of a record's uid, from its packed form when it packs (no text made) and from its text otherwise, so that
    /// the same uid hashes the same whichever form a record holds it in; false when the record has no uid.
    /// </summary>
    public static bool TryOfUid(NetEvent record, out ulong hash)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.TryGetPackedUid(out var packed))
        {
            hash = OfUid(packed);
            return !packed.IsEmpty;
        }

        hash = Of(record.Uid);
        return true;
    }

    /// <summary>The hash of an ordered pair of addresses.</summary>
    /// <summary>The hash <see cref="TryOfUid"/> gives a record whose uid is <paramref name="packed"/>.</summary>
    public static ulong OfUid(PackedUid packed) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(new ReadOnlySpan<PackedUid>(in packed)));

    public static ulong Of(IpAddr first, IpAddr second)
    {
        Span<ulong> lanes = [first.High, first.Low, second.High, second.Low];
        return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(lanes));
    }
}

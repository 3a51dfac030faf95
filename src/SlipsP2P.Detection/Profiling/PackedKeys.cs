using System.Runtime.InteropServices;
using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection.Profiling;

/// <summary>
/// A behavioural tuple between two IPv4 addresses in 12 bytes (the general tuple key takes 40): packed to 4-byte
/// alignment, so that a table entry pairing it with a value of 4-byte alignment has no padding after it.
/// </summary>
/// <param name="Addresses">Source address in the high 32 bits, destination in the low 32.</param>
/// <param name="PortProtocol">Destination port in the high 16 bits, protocol in the low 16.</param>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly record struct V4TupleKey(ulong Addresses, uint PortProtocol);

/// <summary>
/// Exact, smaller dictionary keys for the IPv4 case, which is nearly all traffic: a detector that keeps one entry per
/// tuple or address pair for a whole time window keeps its IPv4 entries under these keys and the others under the
/// general ones (issue 5: keys were 32-40 of the ~80 bytes such an entry cost).
/// </summary>
internal static class PackedKeys
{
    /// <summary>The (source, destination) pair as one number; false when either address is IPv6.</summary>
    public static bool TryPair(IpAddr source, IpAddr destination, out ulong pair)
    {
        if (!source.IsV4 || !destination.IsV4)
        {
            pair = 0;
            return false;
        }

        pair = ((ulong)source.V4 << 32) | destination.V4;
        return true;
    }

    /// <summary>The tuple (source, destination, destination port, protocol); false when either address is IPv6.</summary>
    public static bool TryTuple(IpAddr source, IpAddr destination, ushort port, Protocol protocol, out V4TupleKey tuple)
    {
        if (!TryPair(source, destination, out ulong pair))
        {
            tuple = default;
            return false;
        }

        tuple = new V4TupleKey(pair, ((uint)port << 16) | (byte)protocol);
        return true;
    }
}

/// <summary>Key operations of <see cref="V4TupleKey"/> for the flat maps.</summary>
internal readonly struct V4TupleKeyOps : IFlatKey<V4TupleKey>
{
    public ulong Hash(in V4TupleKey key) =>
        FlatHash.Mix(key.Addresses ^ FlatHash.Mix(key.PortProtocol));

    public bool Equal(in V4TupleKey a, in V4TupleKey b) => a.Addresses == b.Addresses && a.PortProtocol == b.PortProtocol;
}

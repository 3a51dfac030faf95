using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Workers;

/// <summary>
/// A direction-free hash of a 5-tuple, for spreading flows over workers the way Zeek clusters and AF_PACKET fanout
/// do: both directions of a connection hash the same, so one worker sees all of a flow's packets.
/// </summary>
/// <remarks>
/// Each endpoint (address, port) is mixed on its own and the two are added, so swapping them changes nothing, and
/// two endpoints that are equal do not cancel out as they would with XOR. The protocol goes into the final mix.
/// </remarks>
public static class SymmetricFlowHash
{
    /// <summary>The hash of a packet's tuple; the same for the reply direction.</summary>
    public static uint Compute(IpAddr source, ushort sourcePort, IpAddr destination, ushort destinationPort, byte protocol)
    {
        ulong h = Endpoint(source, sourcePort) + Endpoint(destination, destinationPort);
        h ^= (ulong)protocol * 0x9E3779B97F4A7C15UL;
        h = SplitMix64.Finalise(h);
        return (uint)(h ^ (h >> 32));
    }

    /// <summary>The worker, of <paramref name="workers"/>, that owns <paramref name="hash"/> (a multiply-shift range reduction).</summary>
    public static int Partition(uint hash, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        return (int)(((ulong)hash * (uint)workers) >> 32);
    }

    private static ulong Endpoint(IpAddr address, ushort port) =>
        SplitMix64.Finalise((address.High * 0xC2B2AE3D27D4EB4FUL) ^ address.Low ^ ((ulong)port << 48) ^ ((ulong)port * 0x165667B19E3779F9UL));
}

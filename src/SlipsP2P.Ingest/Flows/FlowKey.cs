using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Flows;

/// <summary>
/// A direction-free 5-tuple: the smaller (address, port) endpoint is always A, so both directions of a connection
/// find the same flow. A plain value type with a cheap hash, for <c>Dictionary&lt;FlowKey, int&gt;</c>.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    private readonly ulong _aHigh;
    private readonly ulong _aLow;
    private readonly ulong _bHigh;
    private readonly ulong _bLow;
    private readonly ushort _portA;
    private readonly ushort _portB;
    private readonly byte _protocol;

    private FlowKey(IpAddr a, ushort portA, IpAddr b, ushort portB, byte protocol)
    {
        _aHigh = a.High;
        _aLow = a.Low;
        _bHigh = b.High;
        _bLow = b.Low;
        _portA = portA;
        _portB = portB;
        _protocol = protocol;
    }

    /// <summary>The canonical key of a packet's tuple.</summary>
    public static FlowKey Create(IpAddr source, ushort sourcePort, IpAddr destination, ushort destinationPort, byte protocol)
    {
        int c = source.CompareTo(destination);
        return c < 0 || (c == 0 && sourcePort <= destinationPort)
            ? new FlowKey(source, sourcePort, destination, destinationPort, protocol)
            : new FlowKey(destination, destinationPort, source, sourcePort, protocol);
    }

    /// <summary>Whether this is the key of the tuple (a, portA, b, portB, protocol), in either order.</summary>
    internal bool Matches(IpAddr a, ushort portA, IpAddr b, ushort portB, byte protocol)
    {
        if (_protocol != protocol) return false;
        if (_portA == portA && _portB == portB && _aLow == a.Low && _bLow == b.Low && _aHigh == a.High && _bHigh == b.High) return true;
        return _portA == portB && _portB == portA && _aLow == b.Low && _bLow == a.Low && _aHigh == b.High && _bHigh == a.High;
    }

    public bool Equals(FlowKey other) =>
        _aLow == other._aLow && _bLow == other._bLow && _aHigh == other._aHigh && _bHigh == other._bHigh
        && _portA == other._portA && _portB == other._portB && _protocol == other._protocol;

    public override bool Equals(object? obj) => obj is FlowKey k && Equals(k);

    public override int GetHashCode()
    {
        // A multiply-xorshift mix: cheap, and good enough for the dictionary's modulo buckets.
        ulong h = (_aLow * 0x9E3779B97F4A7C15UL) ^ (_bLow * 0xC2B2AE3D27D4EB4FUL) ^ (_aHigh * 0x165667B19E3779F9UL) ^ _bHigh;
        h ^= ((ulong)_portA << 24) | ((ulong)_portB << 8) | _protocol;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        return (int)h ^ (int)(h >> 32);
    }

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);

    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);
}

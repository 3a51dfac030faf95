// Kademlia keyspace: https://github.com/libp2p/specs/blob/master/kad-dht/README.md#distance
//
// A key's position is sha256(key bytes); for a peer the key is its peer-id multihash bytes. Distance is the XOR of
// two positions read as a 256-bit big-endian integer; the bucket of a peer is the length of the common prefix.
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Discovery.Kad;

/// <summary>A position in the 256-bit Kademlia keyspace (sha256 of a key).</summary>
public readonly struct KadKey : IEquatable<KadKey>
{
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private KadKey(ulong a, ulong b, ulong c, ulong d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    /// <summary>The position of an arbitrary key.</summary>
    public static KadKey FromKey(ReadOnlySpan<byte> key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(key, hash);
        return FromHash(hash);
    }

    /// <summary>The position of a peer.</summary>
    public static KadKey FromPeer(PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return FromKey(peer.Bytes);
    }

    /// <summary>A position from 32 hash bytes.</summary>
    public static KadKey FromHash(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32) throw new ArgumentException("a kad key is 32 bytes", nameof(hash));
        return new KadKey(BinaryPrimitives.ReadUInt64BigEndian(hash), BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(hash[16..]), BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));
    }

    /// <summary>The XOR distance to <paramref name="other"/>.</summary>
    public KadKey Xor(KadKey other) => new(_a ^ other._a, _b ^ other._b, _c ^ other._c, _d ^ other._d);

    /// <summary>Leading zero bits: for a distance, the common prefix length of the two positions (256 when equal).</summary>
    public int LeadingZeros()
    {
        if (_a != 0) return BitOperations.LeadingZeroCount(_a);
        if (_b != 0) return 64 + BitOperations.LeadingZeroCount(_b);
        if (_c != 0) return 128 + BitOperations.LeadingZeroCount(_c);
        return 192 + BitOperations.LeadingZeroCount(_d);
    }

    /// <summary>Compares two distances as unsigned 256-bit integers.</summary>
    public int CompareTo(KadKey other)
    {
        int c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    /// <inheritdoc />
    public bool Equals(KadKey other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is KadKey k && Equals(k);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <summary>Equality.</summary>
    public static bool operator ==(KadKey left, KadKey right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(KadKey left, KadKey right) => !left.Equals(right);
}

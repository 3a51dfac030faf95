// Multihash: https://github.com/multiformats/multihash
//
//   +----------------+------------------+--------------+
//   | varint(code)   | varint(length)   | digest bytes |
//   +----------------+------------------+--------------+
using System.Buffers;
using System.Security.Cryptography;

namespace SlipsP2P.Libp2p.Multiformats;

/// <summary>Multihash encoding for the two hash functions libp2p peer ids use.</summary>
public static class Multihash
{
    /// <summary>The identity "hash" (the digest is the data itself).</summary>
    public const ulong IdentityCode = 0x00;

    /// <summary>SHA2-256.</summary>
    public const ulong Sha256Code = 0x12;

    /// <summary>The longest digest accepted when reading (bounds allocation on untrusted input).</summary>
    public const int MaxDigestLength = 128;

    /// <summary>Encodes a multihash from its code and digest.</summary>
    public static byte[] Encode(ulong code, ReadOnlySpan<byte> digest)
    {
        var result = new byte[Varint.GetLength(code) + Varint.GetLength((ulong)digest.Length) + digest.Length];
        int n = Varint.Write(code, result);
        n += Varint.Write((ulong)digest.Length, result.AsSpan(n));
        digest.CopyTo(result.AsSpan(n));
        return result;
    }

    /// <summary>The identity multihash of <paramref name="data"/>.</summary>
    public static byte[] Identity(ReadOnlySpan<byte> data) => Encode(IdentityCode, data);

    /// <summary>The SHA2-256 multihash of <paramref name="data"/>.</summary>
    public static byte[] Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(data, digest);
        return Encode(Sha256Code, digest);
    }

    /// <summary>
    /// Reads a multihash at the start of <paramref name="source"/>. The digest is a slice of the source.
    /// Digests longer than <see cref="MaxDigestLength"/>, and SHA2-256 digests that are not 32 bytes, are invalid.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ulong code, out ReadOnlySpan<byte> digest, out int bytesConsumed)
    {
        code = 0;
        digest = default;
        bytesConsumed = 0;
        var st = Varint.TryRead(source, out code, out int n1);
        if (st != OperationStatus.Done) return st;
        st = Varint.TryRead(source[n1..], out ulong length, out int n2);
        if (st != OperationStatus.Done) return st;
        if (length > MaxDigestLength) return OperationStatus.InvalidData;
        if (code == Sha256Code && length != 32) return OperationStatus.InvalidData;
        int total = n1 + n2 + (int)length;
        if (source.Length < total) return OperationStatus.NeedMoreData;
        digest = source.Slice(n1 + n2, (int)length);
        bytesConsumed = total;
        return OperationStatus.Done;
    }
}

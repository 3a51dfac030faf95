// libp2p Ed25519 identity keys: https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md#ed25519
//
//   PrivateKey protobuf: 08 01 12 40 || seed32 || pub32   (legacy 96-byte form: seed || pub || pub)
using System.Buffers;
using System.Security.Cryptography;
using SlipsP2P.Libp2p.Protobuf;
using NSecKey = NSec.Cryptography;

namespace SlipsP2P.Libp2p.Crypto;

/// <summary>An Ed25519 identity key pair (NSec / libsodium). Dispose it to release the private key.</summary>
public sealed class Ed25519KeyPair : IDisposable
{
    /// <summary>The size of an Ed25519 seed.</summary>
    public const int SeedLength = 32;

    /// <summary>The size of an Ed25519 signature.</summary>
    public const int SignatureLength = 64;

    private static readonly NSecKey.SignatureAlgorithm s_algorithm = NSecKey.SignatureAlgorithm.Ed25519;

    private readonly NSecKey.Key _key;

    private Ed25519KeyPair(NSecKey.Key key)
    {
        _key = key;
        PublicKey = new PublicKey(KeyType.Ed25519, key.PublicKey.Export(NSecKey.KeyBlobFormat.RawPublicKey));
        PeerId = PeerId.FromPublicKey(PublicKey);
    }

    /// <summary>The public half as a libp2p key.</summary>
    public PublicKey PublicKey { get; }

    /// <summary>The peer id of this identity.</summary>
    public PeerId PeerId { get; }

    /// <summary>Creates a fresh random identity.</summary>
    public static Ed25519KeyPair Generate()
    {
        var key = NSecKey.Key.Create(s_algorithm, new NSecKey.KeyCreationParameters { ExportPolicy = NSecKey.KeyExportPolicies.AllowPlaintextExport });
        return new Ed25519KeyPair(key);
    }

    /// <summary>Creates the identity for a 32-byte RFC 8032 seed.</summary>
    public static Ed25519KeyPair FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedLength) throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        var key = NSecKey.Key.Import(s_algorithm, seed, NSecKey.KeyBlobFormat.RawPrivateKey,
            new NSecKey.KeyCreationParameters { ExportPolicy = NSecKey.KeyExportPolicies.AllowPlaintextExport });
        return new Ed25519KeyPair(key);
    }

    /// <summary>
    /// Decodes a libp2p <c>PrivateKey</c> protobuf holding an Ed25519 key (64-byte seed||pub or legacy 96-byte form).
    /// Returns <see cref="OperationStatus.InvalidData"/> for other key types, bad lengths, or a public half that
    /// does not match the seed.
    /// </summary>
    public static OperationStatus TryDecodePrivateKey(ReadOnlySpan<byte> source, out Ed25519KeyPair? keyPair)
    {
        keyPair = null;
        if (source.Length > 256) return OperationStatus.InvalidData;
        var reader = new ProtoReader(source);
        ulong type = ulong.MaxValue;
        ReadOnlySpan<byte> data = default;
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number == 1 && f.WireType == ProtoWireType.Varint) type = f.Scalar;
            else if (f.Number == 2 && f.WireType == ProtoWireType.LengthDelimited) data = f.Bytes;
        }

        if (type != (ulong)KeyType.Ed25519 || (data.Length != 64 && data.Length != 96)) return OperationStatus.InvalidData;
        var kp = FromSeed(data[..SeedLength]);
        if (!kp.PublicKey.Data.SequenceEqual(data.Slice(SeedLength, 32)))
        {
            kp.Dispose();
            return OperationStatus.InvalidData;
        }

        keyPair = kp;
        return OperationStatus.Done;
    }

    /// <summary>The libp2p <c>PrivateKey</c> protobuf (Type=Ed25519, Data=seed||pub). Wipe the result after use.</summary>
    public byte[] ExportPrivateKey()
    {
        byte[] seed = _key.Export(NSecKey.KeyBlobFormat.RawPrivateKey);
        try
        {
            var result = new byte[4 + 64];
            result[0] = 0x08;
            result[1] = 0x01;
            result[2] = 0x12;
            result[3] = 0x40;
            seed.CopyTo(result.AsSpan(4));
            PublicKey.Data.CopyTo(result.AsSpan(4 + SeedLength));
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Signs <paramref name="data"/> and returns the 64-byte signature.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => s_algorithm.Sign(_key, data);

    /// <summary>Signs <paramref name="data"/> into <paramref name="signature"/> (64 bytes).</summary>
    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature) => s_algorithm.Sign(_key, data, signature);

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();
}

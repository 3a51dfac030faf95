// libp2p PublicKey protobuf: https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md#keys
//
//   message PublicKey { required KeyType Type = 1; required bytes Data = 2; }
//   Ed25519: 08 01 12 20 || pub32   (36 bytes)
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;
using NSecKey = NSec.Cryptography;

namespace SlipsP2P.Libp2p.Crypto;

/// <summary>A libp2p public key: a key type plus the raw key bytes.</summary>
public sealed class PublicKey : IEquatable<PublicKey>
{
    /// <summary>The largest serialized key accepted when decoding (RSA-4096 keys are about 550 bytes).</summary>
    public const int MaxEncodedLength = 2048;

    /// <summary>The raw size of an Ed25519 public key.</summary>
    public const int Ed25519Length = 32;

    private readonly byte[] _data;
    private byte[]? _protobuf;

    /// <summary>Creates a key from its type and raw bytes. Ed25519 keys must be 32 bytes.</summary>
    public PublicKey(KeyType type, ReadOnlySpan<byte> data)
    {
        if (type == KeyType.Ed25519 && data.Length != Ed25519Length)
        {
            throw new ArgumentException("an Ed25519 public key is 32 bytes", nameof(data));
        }

        Type = type;
        _data = data.ToArray();
    }

    /// <summary>The key type.</summary>
    public KeyType Type { get; }

    /// <summary>The raw key bytes (for Ed25519, the 32-byte public key).</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>The serialized <c>PublicKey</c> protobuf (field order Type, Data; minimal varints).</summary>
    public ReadOnlySpan<byte> Protobuf => _protobuf ??= Serialize();

    /// <summary>The peer id derived from this key.</summary>
    public PeerId ToPeerId() => PeerId.FromPublicKey(this);

    /// <summary>A copy of the serialized <c>PublicKey</c> protobuf.</summary>
    public byte[] ToProtobuf() => Protobuf.ToArray();

    /// <summary>
    /// Decodes a serialized <c>PublicKey</c>. Returns <see cref="OperationStatus.InvalidData"/> when a field is missing,
    /// malformed, repeated, or an Ed25519 key is not 32 bytes. Unknown fields are ignored.
    /// </summary>
    public static OperationStatus TryDecode(ReadOnlySpan<byte> source, out PublicKey? key)
    {
        key = null;
        if (source.Length > MaxEncodedLength) return OperationStatus.InvalidData;
        var reader = new ProtoReader(source);
        ulong type = ulong.MaxValue;
        ReadOnlySpan<byte> data = default;
        bool hasData = false;
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number == 1 && f.WireType == ProtoWireType.Varint) type = f.Scalar;
            else if (f.Number == 2 && f.WireType == ProtoWireType.LengthDelimited)
            {
                data = f.Bytes;
                hasData = true;
            }
        }

        if (type > (ulong)KeyType.Ecdsa || !hasData) return OperationStatus.InvalidData;
        if ((KeyType)type == KeyType.Ed25519 && data.Length != Ed25519Length) return OperationStatus.InvalidData;
        key = new PublicKey((KeyType)type, data);
        return OperationStatus.Done;
    }

    /// <summary>
    /// Verifies an Ed25519 signature over <paramref name="data"/>. Returns false for other key types (this stack
    /// does not verify RSA, secp256k1 or ECDSA) and for any malformed signature.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (Type != KeyType.Ed25519 || signature.Length != 64) return false;
        var alg = NSecKey.SignatureAlgorithm.Ed25519;
        if (!NSecKey.PublicKey.TryImport(alg, _data, NSecKey.KeyBlobFormat.RawPublicKey, out var pk) || pk is null) return false;
        return alg.Verify(pk, data, signature);
    }

    /// <inheritdoc/>
    public bool Equals(PublicKey? other) => other is not null && other.Type == Type && other._data.AsSpan().SequenceEqual(_data);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PublicKey);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hc = new HashCode();
        hc.Add(Type);
        hc.AddBytes(_data);
        return hc.ToHashCode();
    }

    private byte[] Serialize()
    {
        var w = new ProtoWriter(_data.Length + 8);
        w.WriteVarint(1, (ulong)Type);
        w.WriteBytes(2, _data);
        return w.ToArray();
    }
}

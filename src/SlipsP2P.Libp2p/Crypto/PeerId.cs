// Peer ids: https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md#peer-ids
//
//   peer id  = multihash(serialized PublicKey)   identity if <= 42 bytes, else sha2-256
//   text     = base58btc(multihash)              "12D3KooW..." (Ed25519), "Qm..." (sha256)
//            | multibase CIDv1: 'b' base32( 0x01 0x72 multihash )   "bafz..."
using System.Buffers;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Crypto;

/// <summary>A libp2p peer id: the multihash of a serialized public key. Immutable; compares by bytes.</summary>
public sealed class PeerId : IEquatable<PeerId>
{
    /// <summary>Serialized keys up to this length are inlined with the identity multihash.</summary>
    public const int MaxInlineKeyLength = 42;

    /// <summary>The multicodec of a CID holding a libp2p key.</summary>
    public const ulong Libp2pKeyCodec = 0x72;

    /// <summary>The longest peer-id multihash accepted.</summary>
    public const int MaxLength = 128;

    private readonly byte[] _bytes;
    private readonly int _hashCode;
    private string? _text;

    private PeerId(byte[] multihash)
    {
        _bytes = multihash;
        var hc = new HashCode();
        hc.AddBytes(multihash);
        _hashCode = hc.ToHashCode();
    }

    /// <summary>The multihash bytes (what the wire carries: /p2p values, pubsub <c>from</c>).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>A copy of the multihash bytes.</summary>
    public byte[] ToByteArray() => (byte[])_bytes.Clone();

    /// <summary>The peer id of <paramref name="key"/>.</summary>
    public static PeerId FromPublicKey(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var proto = key.Protobuf;
        return new PeerId(proto.Length <= MaxInlineKeyLength ? Multihash.Identity(proto) : Multihash.Sha256(proto));
    }

    /// <summary>
    /// Reads a peer id from multihash bytes. The whole span must be one identity or sha2-256 multihash; an identity
    /// multihash must hold a decodable public key.
    /// </summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> multihash, out PeerId? peerId)
    {
        peerId = null;
        if (multihash.Length > MaxLength) return false;
        if (Multihash.TryRead(multihash, out ulong code, out var digest, out int consumed) != OperationStatus.Done) return false;
        if (consumed != multihash.Length) return false;
        if (code == Multihash.IdentityCode)
        {
            if (digest.Length > MaxInlineKeyLength || PublicKey.TryDecode(digest, out _) != OperationStatus.Done) return false;
        }
        else if (code != Multihash.Sha256Code)
        {
            return false;
        }

        peerId = new PeerId(multihash.ToArray());
        return true;
    }

    /// <summary>Reads a peer id from multihash bytes, throwing <see cref="FormatException"/> when they are not one.</summary>
    public static PeerId FromBytes(ReadOnlySpan<byte> multihash)
        => TryFromBytes(multihash, out var id) ? id! : throw new FormatException("not a peer id multihash");

    /// <summary>
    /// Parses the text form: raw base58btc ("12D3KooW…", "Qm…", "1…") or a multibase base32 CIDv1 with codec
    /// libp2p-key ("bafz…").
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PeerId? peerId)
    {
        peerId = null;
        if (text.IsEmpty || text.Length > 256) return false;
        if (text[0] == '1' || text.StartsWith("Qm", StringComparison.Ordinal))
        {
            return Base58.TryDecode(text, out var mh) && TryFromBytes(mh, out peerId);
        }

        // Other multibases are legal for CIDs but js and go only print base32 ('b'); accept 'z' too.
        byte[] cid;
        if (text[0] == 'b' || text[0] == 'B')
        {
            if (!Base32.TryDecode(text[1..], out cid)) return false;
        }
        else if (text[0] == 'z')
        {
            if (!Base58.TryDecode(text[1..], out cid)) return false;
        }
        else
        {
            return false;
        }

        if (Varint.TryRead(cid, out ulong version, out int n1) != OperationStatus.Done || version != 1) return false;
        if (Varint.TryRead(cid.AsSpan(n1), out ulong codec, out int n2) != OperationStatus.Done || codec != Libp2pKeyCodec) return false;
        return TryFromBytes(cid.AsSpan(n1 + n2), out peerId);
    }

    /// <summary>Parses the text form, throwing <see cref="FormatException"/> with the offending text.</summary>
    public static PeerId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var id) ? id! : throw new FormatException($"'{text}' is not a valid peer id");
    }

    /// <summary>The inlined public key when the id uses the identity multihash (Ed25519, secp256k1).</summary>
    public bool TryGetPublicKey(out PublicKey? key)
    {
        key = null;
        if (Multihash.TryRead(_bytes, out ulong code, out var digest, out _) != OperationStatus.Done || code != Multihash.IdentityCode)
        {
            return false;
        }

        return PublicKey.TryDecode(digest, out key) == OperationStatus.Done;
    }

    /// <summary>True when <paramref name="key"/> hashes to this peer id.</summary>
    public bool Matches(PublicKey key) => Equals(FromPublicKey(key));

    /// <summary>The CIDv1 text form (multibase base32, "bafz…").</summary>
    public string ToCidString()
    {
        var cid = new byte[2 + _bytes.Length];
        cid[0] = 0x01;
        cid[1] = (byte)Libp2pKeyCodec;
        _bytes.CopyTo(cid, 2);
        return "b" + Base32.Encode(cid);
    }

    /// <summary>The base58btc text form, without a multibase prefix.</summary>
    public override string ToString() => _text ??= Base58.Encode(_bytes);

    /// <inheritdoc/>
    public bool Equals(PeerId? other) => other is not null && (ReferenceEquals(this, other) || (other._hashCode == _hashCode && other._bytes.AsSpan().SequenceEqual(_bytes)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PeerId);

    /// <inheritdoc/>
    public override int GetHashCode() => _hashCode;

    /// <summary>Equality by bytes.</summary>
    public static bool operator ==(PeerId? left, PeerId? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality by bytes.</summary>
    public static bool operator !=(PeerId? left, PeerId? right) => !(left == right);
}

// Authors whose messages verified before, keyed by the exact bytes of their pubsub `from` field, so that verifying
// the next message of the same author neither parses `from` and `key` again (a PeerId, a PublicKey, their byte
// copies and a re-encoding per message) nor re-imports the Ed25519 key into libsodium (the import costs about a
// quarter of a verification). Only the signature check itself runs per message.
//
// An entry is made only after the full StrictSign checks passed AND `from` is exactly the identity multihash of the
// key's canonical encoding; a message then takes the fast path only when its `key` field is absent or byte-equal
// to that encoding, which are exactly the cases in which the full checks would reach the same key. Anything else
// goes the full way (PubsubSigning.Verify), so the cache never changes an outcome.
using System.Collections.Concurrent;
using SlipsP2P.Libp2p.Crypto;
using NSecKey = NSec.Cryptography;

namespace SlipsP2P.Libp2p.Gossipsub.Router;

/// <summary>A bounded, thread-safe cache of verified Ed25519 authors keyed by their <c>from</c> bytes.</summary>
internal static class AuthorKeys
{
    /// <summary>Authors remembered; when exceeded the cache starts over (cheap, and bounded whatever peers send).</summary>
    public const int Capacity = 4096;

    private static readonly ConcurrentDictionary<byte[], Author> s_authors = new(BytesComparer.Instance);
    private static readonly ConcurrentDictionary<byte[], Author>.AlternateLookup<ReadOnlySpan<byte>> s_bySpan =
        s_authors.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <summary>The author whose <c>from</c> bytes are <paramref name="from"/>, when its <paramref name="key"/> field (null: absent) allows the fast path.</summary>
    public static Author? Find(ReadOnlySpan<byte> from, byte[]? key)
    {
        if (!s_bySpan.TryGetValue(from, out var author)) return null;
        return key is null || key.AsSpan().SequenceEqual(author.KeyProtobuf) ? author : null;
    }

    /// <summary>Remembers an author after the full checks verified a message of it (see the file header for the conditions).</summary>
    public static Author? Add(ReadOnlySpan<byte> from, PeerId id, PublicKey key)
    {
        if (key.Type != KeyType.Ed25519 || !from.SequenceEqual(id.Bytes) || !id.Matches(key)) return null;
        if (!NSecKey.PublicKey.TryImport(NSecKey.SignatureAlgorithm.Ed25519, key.Data, NSecKey.KeyBlobFormat.RawPublicKey, out var imported) || imported is null)
        {
            return null;
        }

        var fromBytes = from.ToArray();
        var author = new Author(id, fromBytes, key.ToProtobuf(), imported);
        if (s_authors.Count >= Capacity) s_authors.Clear();
        s_authors[fromBytes] = author;
        return author;
    }

    /// <summary>A verified author: its peer id, its from bytes, its canonical PublicKey encoding and its imported verification key.</summary>
    internal sealed class Author(PeerId id, byte[] from, byte[] keyProtobuf, NSecKey.PublicKey key)
    {
        public PeerId Id { get; } = id;

        /// <summary>The author's <c>from</c> bytes, shared (never modified).</summary>
        public byte[] From { get; } = from;

        public byte[] KeyProtobuf { get; } = keyProtobuf;

        public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
            signature.Length == Ed25519KeyPair.SignatureLength && NSecKey.SignatureAlgorithm.Ed25519.Verify(key, data, signature);
    }

    private sealed class BytesComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly BytesComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> bytes)
        {
            var hc = new HashCode();
            hc.AddBytes(bytes);
            return hc.ToHashCode();
        }
    }
}

// StrictSign: pubsub README §Message Signing (https://github.com/libp2p/specs/blob/master/pubsub/README.md#message-signing)
//
//   signature = Ed25519.Sign(identity, UTF8("libp2p-pubsub:") ‖ Message{from=1, data=2, seqno=3, topic=4})
//
// The signed bytes are the field-ordered encoding of fields 1..4 as decoded (present-but-empty data kept, unknown
// fields dropped: js re-encodes before verifying). from = author peer-id multihash bytes; seqno = exactly 8 bytes BE;
// key (field 6), when present, must be the key inlined in / hashed into from.
using System.Buffers;
using System.Buffers.Binary;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Router;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>The outcome of checking a message under StrictSign.</summary>
public enum SignatureStatus
{
    /// <summary>from, seqno and signature are present and the signature verifies.</summary>
    Valid,

    /// <summary>from, seqno or signature is absent.</summary>
    MissingFields,

    /// <summary>seqno is not exactly 8 bytes.</summary>
    InvalidSeqno,

    /// <summary>from is not a peer id.</summary>
    InvalidFrom,

    /// <summary>No public key can be found, or the key field does not match from.</summary>
    InvalidKey,

    /// <summary>The signature does not verify.</summary>
    InvalidSignature,
}

/// <summary>StrictSign message signing and verification, byte-compatible with js-libp2p.</summary>
public static class PubsubSigning
{
    /// <summary>The signing prefix, "libp2p-pubsub:".</summary>
    public static ReadOnlySpan<byte> Prefix => "libp2p-pubsub:"u8;

    /// <summary>The seqno length under StrictSign.</summary>
    public const int SeqnoLength = 8;

    private const int StackLimit = 1024;

    /// <summary>
    /// Builds and signs a message. <paramref name="includeKey"/> sets field 6 as js does (it is redundant for
    /// Ed25519 ids, and js accepts messages without it).
    /// </summary>
    public static PubsubMessage CreateSigned(Ed25519KeyPair identity, string topic, ReadOnlySpan<byte> data, ulong seqno, bool includeKey = true)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return CreateSigned(identity, identity.PeerId.ToByteArray(), includeKey ? identity.PublicKey.ToProtobuf() : null, topic, data, seqno);
    }

    /// <summary>
    /// As <see cref="CreateSigned(Ed25519KeyPair, string, ReadOnlySpan{byte}, ulong, bool)"/> with the author's
    /// <c>from</c> and <c>key</c> bytes made once by the caller and shared by every message it signs (never modified).
    /// </summary>
    internal static PubsubMessage CreateSigned(Ed25519KeyPair identity, byte[] from, byte[]? key, string topic, ReadOnlySpan<byte> data, ulong seqno)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var seq = new byte[SeqnoLength];
        BinaryPrimitives.WriteUInt64BigEndian(seq, seqno);
        var message = new PubsubMessage
        {
            From = from,
            Data = data.ToArray(),
            Seqno = seq,
            Topic = topic,
        };
        message.Signature = Sign(identity, message);
        message.Key = key;
        return message;
    }

    /// <summary>Signs fields 1..4 of <paramref name="message"/> and returns the 64-byte signature.</summary>
    public static byte[] Sign(Ed25519KeyPair identity, PubsubMessage message)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(message);
        int length = Prefix.Length + message.GetSignedPartLength();
        byte[]? rented = null;
        Span<byte> input = length <= StackLimit ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            Prefix.CopyTo(input);
            message.WriteSignedPart(input[Prefix.Length..]);
            return identity.Sign(input[..length]);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The bytes that are signed: "libp2p-pubsub:" ‖ fields 1..4.</summary>
    public static byte[] GetSigningInput(PubsubMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var input = new byte[Prefix.Length + message.GetSignedPartLength()];
        Prefix.CopyTo(input);
        message.WriteSignedPart(input.AsSpan(Prefix.Length));
        return input;
    }

    /// <summary>Checks a received message under StrictSign; on success <paramref name="author"/> is the signer.</summary>
    public static SignatureStatus Verify(PubsubMessage message, out PeerId? author)
    {
        ArgumentNullException.ThrowIfNull(message);
        author = null;
        if (message.From is null || message.Seqno is null || message.Signature is null) return SignatureStatus.MissingFields;
        if (message.Seqno.Length != SeqnoLength) return SignatureStatus.InvalidSeqno;

        // An author verified before, with byte-identical from (and key, if sent): only the signature is checked.
        var known = AuthorKeys.Find(message.From, message.Key);
        if (known is not null)
        {
            if (!CheckSignature(message, known, null)) return SignatureStatus.InvalidSignature;
            ShareAuthorBytes(message, known);
            author = known.Id;
            return SignatureStatus.Valid;
        }

        if (!PeerId.TryFromBytes(message.From, out var from) || from is null) return SignatureStatus.InvalidFrom;
        PublicKey? key = null;
        if (message.Key is not null)
        {
            if (PublicKey.TryDecode(message.Key, out key) != OperationStatus.Done || key is null || !from.Matches(key)) return SignatureStatus.InvalidKey;
        }
        else if (!from.TryGetPublicKey(out key) || key is null)
        {
            return SignatureStatus.InvalidKey;
        }

        var added = AuthorKeys.Add(message.From, from, key);
        if (!CheckSignature(message, added, key)) return SignatureStatus.InvalidSignature;
        if (added is not null) ShareAuthorBytes(message, added);
        author = added?.Id ?? from;
        return SignatureStatus.Valid;
    }

    /// <summary>
    /// Replaces the message's from (and key, when byte-equal) with the author's shared copies, so that the messages
    /// the router keeps (message cache, queues) hold two arrays fewer each.
    /// </summary>
    private static void ShareAuthorBytes(PubsubMessage message, AuthorKeys.Author author)
    {
        message.From = author.From;
        if (message.Key is not null && message.Key.AsSpan().SequenceEqual(author.KeyProtobuf)) message.Key = author.KeyProtobuf;
    }

    /// <summary>Verifies the signature over "libp2p-pubsub:" ‖ fields 1..4 with the cached author, else with <paramref name="key"/>.</summary>
    private static bool CheckSignature(PubsubMessage message, AuthorKeys.Author? author, PublicKey? key)
    {
        int length = Prefix.Length + message.GetSignedPartLength();
        byte[]? rented = null;
        Span<byte> input = length <= StackLimit ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            Prefix.CopyTo(input);
            message.WriteSignedPart(input[Prefix.Length..]);
            return author is not null ? author.Verify(input[..length], message.Signature) : key!.Verify(input[..length], message.Signature);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>
/// Monotonic seqnos seeded from wall-clock nanoseconds (as go, rust and js 3.x do; kubo drops non-increasing ones).
/// Thread-safe.
/// </summary>
public sealed class SeqnoGenerator
{
    private long _next;

    /// <summary>Seeds the counter from <paramref name="time"/>'s UTC clock in nanoseconds since the Unix epoch.</summary>
    public SeqnoGenerator(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _next = (time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
    }

    /// <summary>The next seqno.</summary>
    public ulong Next() => (ulong)Interlocked.Increment(ref _next);
}

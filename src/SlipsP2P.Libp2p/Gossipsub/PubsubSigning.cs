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
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var seq = new byte[SeqnoLength];
        BinaryPrimitives.WriteUInt64BigEndian(seq, seqno);
        var message = new PubsubMessage
        {
            From = identity.PeerId.ToByteArray(),
            Data = data.ToArray(),
            Seqno = seq,
            Topic = topic,
        };
        message.Signature = Sign(identity, message);
        if (includeKey) message.Key = identity.PublicKey.ToProtobuf();
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

        int length = Prefix.Length + message.GetSignedPartLength();
        byte[]? rented = null;
        Span<byte> input = length <= StackLimit ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            Prefix.CopyTo(input);
            message.WriteSignedPart(input[Prefix.Length..]);
            if (!VerificationKeyCache.Verify(from, key, input[..length], message.Signature)) return SignatureStatus.InvalidSignature;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }

        author = from;
        return SignatureStatus.Valid;
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

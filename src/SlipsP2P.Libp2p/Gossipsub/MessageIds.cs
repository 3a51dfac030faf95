// Message ids: gossipsub v1.0 §Message Identification and pubsub README §Message Identification.
// js-libp2p's default (chainsafe gossipsub msgIdFnStrictSign) is the author's serialized PublicKey ‖ seqno, not the
// spec's from ‖ seqno; IHAVE/IWANT/IDONTWANT only work when both ends compute the same id (brief §10.4).
using System.Buffers;
using System.Security.Cryptography;
using SlipsP2P.Libp2p.Gossipsub.Rpc;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>Message id functions.</summary>
public static class MessageIds
{
    /// <summary>
    /// js-libp2p default: PublicKey protobuf of the author ‖ seqno. For identity peer ids the key is the multihash
    /// digest of <c>from</c>; otherwise the <c>key</c> field. Messages without from/seqno fall back to sha256(data).
    /// </summary>
    public static MessageId JsDefault(PubsubMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.From is null || message.Seqno is null) return ContentHash(message);
        ReadOnlySpan<byte> key;
        if (Multihash.TryRead(message.From, out ulong code, out var digest, out _) == OperationStatus.Done && code == Multihash.IdentityCode)
        {
            key = digest;
        }
        else if (message.Key is not null)
        {
            key = message.Key;
        }
        else
        {
            key = message.From;
        }

        var id = new byte[key.Length + message.Seqno.Length];
        key.CopyTo(id);
        message.Seqno.CopyTo(id, key.Length);
        return new MessageId(id);
    }

    /// <summary>The spec default (go-libp2p): from ‖ seqno.</summary>
    public static MessageId FromSeqno(PubsubMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.From is null || message.Seqno is null) return ContentHash(message);
        var id = new byte[message.From.Length + message.Seqno.Length];
        message.From.CopyTo(id, 0);
        message.Seqno.CopyTo(id, message.From.Length);
        return new MessageId(id);
    }

    /// <summary>Content id: sha256(data) (for StrictNoSign setups; both ends must agree).</summary>
    public static MessageId ContentHash(PubsubMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new MessageId(SHA256.HashData(message.Data ?? []));
    }
}

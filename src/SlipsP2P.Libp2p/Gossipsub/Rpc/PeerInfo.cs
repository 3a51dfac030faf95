// PeerInfo (gossipsub v1.1 peer exchange): https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#prune-backoff-and-peer-exchange
//
//   message PeerInfo { optional bytes peerID = 1; optional bytes signedPeerRecord = 2; }
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>A peer offered in a PRUNE for peer exchange.</summary>
public sealed class PeerInfo
{
    /// <summary>Field 1: peer id multihash bytes.</summary>
    public byte[]? PeerId { get; set; }

    /// <summary>Field 2: a signed peer record envelope (opaque here).</summary>
    public byte[]? SignedPeerRecord { get; set; }

    /// <summary>Encoded size.</summary>
    public int GetSerializedLength()
    {
        int n = 0;
        if (PeerId is not null) n += SpanProto.BytesFieldSize(1, PeerId.Length);
        if (SignedPeerRecord is not null) n += SpanProto.BytesFieldSize(2, SignedPeerRecord.Length);
        return n;
    }

    /// <summary>Writes the element and returns the bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        int n = 0;
        if (PeerId is not null) n += SpanProto.WriteBytesField(destination, 1, PeerId);
        if (SignedPeerRecord is not null) n += SpanProto.WriteBytesField(destination[n..], 2, SignedPeerRecord);
        return n;
    }

    /// <summary>Decodes a complete PeerInfo body.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out PeerInfo value, out int bytesConsumed)
    {
        value = new PeerInfo();
        bytesConsumed = 0;
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number is 1 or 2 && f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
            if (f.Number == 1) value.PeerId = f.ToArray();
            else if (f.Number == 2) value.SignedPeerRecord = f.ToArray();
        }

        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

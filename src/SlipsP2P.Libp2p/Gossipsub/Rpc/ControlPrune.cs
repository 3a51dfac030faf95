// ControlPrune: https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#prune-backoff-and-peer-exchange
//
//   message ControlPrune { optional string topicID = 1; repeated PeerInfo peers = 2; optional uint64 backoff = 3; }
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>PRUNE: the sender removed us from its mesh for a topic.</summary>
public sealed class ControlPrune
{
    /// <summary>Field 1: the topic.</summary>
    public string? TopicId { get; set; }

    /// <summary>Field 2: peer exchange candidates.</summary>
    public List<PeerInfo> Peers { get; } = [];

    /// <summary>Field 3: backoff in seconds.</summary>
    public ulong? Backoff { get; set; }

    /// <summary>Encoded size.</summary>
    public int GetSerializedLength()
    {
        int n = TopicId is null ? 0 : SpanProto.StringFieldSize(1, TopicId);
        foreach (var p in Peers) n += SpanProto.BytesFieldSize(2, p.GetSerializedLength());
        if (Backoff is ulong b) n += SpanProto.VarintFieldSize(3, b);
        return n;
    }

    /// <summary>Writes the element and returns the bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        int n = TopicId is null ? 0 : SpanProto.WriteStringField(destination, 1, TopicId);
        foreach (var p in Peers)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 2, p.GetSerializedLength());
            n += p.Write(destination[n..]);
        }

        if (Backoff is ulong b) n += SpanProto.WriteVarintField(destination[n..], 3, b);
        return n;
    }

    /// <summary>Decodes a complete ControlPrune body.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ControlPrune value, out int bytesConsumed)
    {
        value = new ControlPrune();
        bytesConsumed = 0;
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            switch (f.Number)
            {
                case 1:
                    if (f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
                    value.TopicId = f.AsString();
                    break;
                case 2:
                    if (f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
                    if (PeerInfo.TryRead(f.Bytes, out var peer, out _) != OperationStatus.Done) return OperationStatus.InvalidData;
                    value.Peers.Add(peer);
                    break;
                case 3:
                    if (f.WireType != ProtoWireType.Varint) return OperationStatus.InvalidData;
                    value.Backoff = f.Scalar;
                    break;
                default:
                    break;
            }
        }

        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

// ControlGraft: https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md#control-messages
//
//   message ControlGraft { optional string topicID = 1; }
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>GRAFT: the sender added us to its mesh for a topic.</summary>
public sealed class ControlGraft
{
    /// <summary>Field 1: the topic.</summary>
    public string? TopicId { get; set; }

    /// <summary>Encoded size.</summary>
    public int GetSerializedLength() => TopicId is null ? 0 : SpanProto.StringFieldSize(1, TopicId);

    /// <summary>Writes the element and returns the bytes written.</summary>
    public int Write(Span<byte> destination) => TopicId is null ? 0 : SpanProto.WriteStringField(destination, 1, TopicId);

    /// <summary>Decodes a complete ControlGraft body.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ControlGraft value, out int bytesConsumed)
    {
        value = new ControlGraft();
        bytesConsumed = 0;
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number == 1)
            {
                if (f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
                value.TopicId = f.AsString();
            }
        }

        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

// ControlIHave: https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md#control-messages
//
//   message ControlIHave { optional string topicID = 1; repeated bytes messageIDs = 2; }
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>IHAVE: message ids the sender has recently seen in a topic.</summary>
public sealed class ControlIHave
{
    /// <summary>Field 1: the topic.</summary>
    public string? TopicId { get; set; }

    /// <summary>Field 2: message ids.</summary>
    public List<byte[]> MessageIds { get; } = [];

    /// <summary>Encoded size.</summary>
    public int GetSerializedLength()
    {
        int n = TopicId is null ? 0 : SpanProto.StringFieldSize(1, TopicId);
        return n + RepeatedBytes.GetSize(2, MessageIds);
    }

    /// <summary>Writes the element and returns the bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        int n = TopicId is null ? 0 : SpanProto.WriteStringField(destination, 1, TopicId);
        return n + RepeatedBytes.Write(destination[n..], 2, MessageIds);
    }

    /// <summary>Decodes a complete ControlIHave body.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ControlIHave value, out int bytesConsumed)
    {
        value = new ControlIHave();
        bytesConsumed = 0;
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number is 1 or 2 && f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
            if (f.Number == 1) value.TopicId = f.AsString();
            else if (f.Number == 2) value.MessageIds.Add(f.ToArray());
        }

        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

// RPC.SubOpts: https://github.com/libp2p/specs/blob/master/pubsub/README.md#the-rpc
//
//   message SubOpts { optional bool subscribe = 1; optional string topicid = 2; }
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>A subscription change announced by a peer.</summary>
public sealed class SubOpts
{
    /// <summary>Field 1: true = subscribe, false = unsubscribe.</summary>
    public bool? Subscribe { get; set; }

    /// <summary>Field 2: the topic.</summary>
    public string? Topic { get; set; }

    /// <summary>Encoded size.</summary>
    public int GetSerializedLength()
    {
        int n = 0;
        if (Subscribe is not null) n += SpanProto.VarintFieldSize(1, 1);
        if (Topic is not null) n += SpanProto.StringFieldSize(2, Topic);
        return n;
    }

    /// <summary>Writes the element and returns the bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        int n = 0;
        if (Subscribe is bool s) n += SpanProto.WriteVarintField(destination, 1, s ? 1UL : 0UL);
        if (Topic is not null) n += SpanProto.WriteStringField(destination[n..], 2, Topic);
        return n;
    }

    /// <summary>Decodes a complete SubOpts body.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out SubOpts value, out int bytesConsumed)
    {
        value = new SubOpts();
        bytesConsumed = 0;
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            switch (f.Number)
            {
                case 1:
                    if (f.WireType != ProtoWireType.Varint) return OperationStatus.InvalidData;
                    value.Subscribe = f.AsBool;
                    break;
                case 2:
                    if (f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
                    value.Topic = f.AsString();
                    break;
                default:
                    break;
            }
        }

        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

// RPC: https://github.com/libp2p/specs/blob/master/pubsub/README.md#the-rpc
//
//   message RPC {
//     repeated SubOpts        subscriptions = 1;
//     repeated Message        publish       = 2;   // js: "messages"
//     optional ControlMessage control       = 3;   // gossipsub only; floodsub peers ignore it
//   }
//
// On the stream every RPC is length-prefixed: uvarint(len) || RPC (see RpcFraming).
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>One pubsub RPC: subscription changes, messages and gossipsub control.</summary>
public sealed class PubsubRpc
{
    /// <summary>Field 1.</summary>
    public List<SubOpts> Subscriptions { get; } = [];

    /// <summary>Field 2.</summary>
    public List<PubsubMessage> Publish { get; } = [];

    /// <summary>Field 3; null when absent.</summary>
    public ControlMessage? Control { get; set; }

    /// <summary>True when the RPC carries nothing.</summary>
    public bool IsEmpty => Subscriptions.Count == 0 && Publish.Count == 0 && (Control is null || Control.IsEmpty);

    /// <summary>Encoded size (without the length prefix).</summary>
    public int GetSerializedLength()
    {
        int n = 0;
        foreach (var s in Subscriptions) n += SpanProto.BytesFieldSize(1, s.GetSerializedLength());
        foreach (var m in Publish) n += SpanProto.BytesFieldSize(2, m.GetSerializedLength());
        if (Control is not null) n += SpanProto.BytesFieldSize(3, Control.GetSerializedLength());
        return n;
    }

    /// <summary>Writes the RPC (without length prefix) and returns the bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        int n = 0;
        foreach (var s in Subscriptions)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 1, s.GetSerializedLength());
            n += s.Write(destination[n..]);
        }

        foreach (var m in Publish)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 2, m.GetSerializedLength());
            n += m.Write(destination[n..]);
        }

        if (Control is not null)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 3, Control.GetSerializedLength());
            n += Control.Write(destination[n..]);
        }

        return n;
    }

    /// <summary>Encodes the RPC into a new array (no length prefix).</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[GetSerializedLength()];
        Write(bytes);
        return bytes;
    }

    /// <summary>
    /// Decodes a complete RPC body (the caller has already bounded its size with <see cref="RpcFraming"/>).
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out PubsubRpc value, out int bytesConsumed)
    {
        value = new PubsubRpc();
        bytesConsumed = 0;
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number is < 1 or > 3) continue;
            if (f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
            switch (f.Number)
            {
                case 1:
                    if (SubOpts.TryRead(f.Bytes, out var sub, out _) != OperationStatus.Done) return OperationStatus.InvalidData;
                    value.Subscriptions.Add(sub);
                    break;
                case 2:
                    if (PubsubMessage.TryRead(f.Bytes, out var msg, out _) != OperationStatus.Done) return OperationStatus.InvalidData;
                    value.Publish.Add(msg);
                    break;
                default:
                    if (ControlMessage.TryRead(f.Bytes, out var control, out _) != OperationStatus.Done) return OperationStatus.InvalidData;
                    value.Control = control;
                    break;
            }
        }

        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

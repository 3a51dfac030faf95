// Pubsub Message: https://github.com/libp2p/specs/blob/master/pubsub/README.md#the-message
//
//   message Message {
//     optional bytes  from      = 1;  // author peer-id multihash bytes
//     optional bytes  data      = 2;  // present-but-empty is kept (js signs "12 00")
//     optional bytes  seqno     = 3;  // 8 bytes big-endian under StrictSign
//     optional string topic     = 4;
//     optional bytes  signature = 5;
//     optional bytes  key       = 6;  // serialized PublicKey; js always sends it
//   }
//
// A null property means "absent"; an empty array or string means "present but empty".
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>A pubsub message as on the wire, keeping field presence.</summary>
public sealed class PubsubMessage
{
    /// <summary>Field 1: author peer id multihash bytes.</summary>
    public byte[]? From { get; set; }

    /// <summary>Field 2: payload.</summary>
    public byte[]? Data { get; set; }

    /// <summary>Field 3: sequence number (8 bytes big-endian when signed).</summary>
    public byte[]? Seqno { get; set; }

    /// <summary>Field 4: topic.</summary>
    public string? Topic { get; set; }

    /// <summary>Field 5: Ed25519 signature over "libp2p-pubsub:" ‖ fields 1..4.</summary>
    public byte[]? Signature { get; set; }

    /// <summary>Field 6: author's serialized PublicKey.</summary>
    public byte[]? Key { get; set; }

    /// <summary>Encoded size of fields 1..4 only (the signed part).</summary>
    public int GetSignedPartLength()
    {
        int n = 0;
        if (From is not null) n += SpanProto.BytesFieldSize(1, From.Length);
        if (Data is not null) n += SpanProto.BytesFieldSize(2, Data.Length);
        if (Seqno is not null) n += SpanProto.BytesFieldSize(3, Seqno.Length);
        if (Topic is not null) n += SpanProto.StringFieldSize(4, Topic);
        return n;
    }

    /// <summary>Writes fields 1..4 in field order (the canonical signed encoding) and returns the bytes written.</summary>
    public int WriteSignedPart(Span<byte> destination)
    {
        int n = 0;
        if (From is not null) n += SpanProto.WriteBytesField(destination[n..], 1, From);
        if (Data is not null) n += SpanProto.WriteBytesField(destination[n..], 2, Data);
        if (Seqno is not null) n += SpanProto.WriteBytesField(destination[n..], 3, Seqno);
        if (Topic is not null) n += SpanProto.WriteStringField(destination[n..], 4, Topic);
        return n;
    }

    /// <summary>The encoded size of the whole message.</summary>
    public int GetSerializedLength()
    {
        int n = GetSignedPartLength();
        if (Signature is not null) n += SpanProto.BytesFieldSize(5, Signature.Length);
        if (Key is not null) n += SpanProto.BytesFieldSize(6, Key.Length);
        return n;
    }

    /// <summary>Writes the message (fields in number order) and returns the bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        int n = WriteSignedPart(destination);
        if (Signature is not null) n += SpanProto.WriteBytesField(destination[n..], 5, Signature);
        if (Key is not null) n += SpanProto.WriteBytesField(destination[n..], 6, Key);
        return n;
    }

    /// <summary>
    /// Decodes a complete Message body. Unknown fields are skipped (and so not covered by the re-encoded signature
    /// check, as js does). <see cref="OperationStatus.InvalidData"/> for malformed protobuf or a wrong wire type.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out PubsubMessage value, out int bytesConsumed)
    {
        value = new PubsubMessage();
        bytesConsumed = 0;
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number is >= 1 and <= 6 && f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
            switch (f.Number)
            {
                case 1: value.From = f.ToArray(); break;
                case 2: value.Data = f.ToArray(); break;
                case 3: value.Seqno = f.ToArray(); break;
                case 4: value.Topic = TopicStrings.Get(f.Bytes); break;
                case 5: value.Signature = f.ToArray(); break;
                case 6: value.Key = f.ToArray(); break;
                default: break;
            }
        }

        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

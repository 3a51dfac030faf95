// Exact-size protobuf writing into a caller's span, for the gossipsub RPC elements: each element computes its
// GetSerializedLength() first, so an lp-framed RPC is written in one pass into one buffer.
// Wire format: https://protobuf.dev/programming-guides/encoding/
using System.Text;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>Span-based protobuf field writers with exact sizes (minimal varints, call order).</summary>
internal static class SpanProto
{
    public static int VarintSize(ulong value) => ProtoWriter.GetVarintSize(value);

    public static int TagSize(int field) => VarintSize((ulong)field << 3);

    public static int BytesFieldSize(int field, int length) => TagSize(field) + VarintSize((ulong)length) + length;

    public static int StringFieldSize(int field, string value) => BytesFieldSize(field, Encoding.UTF8.GetByteCount(value));

    public static int VarintFieldSize(int field, ulong value) => TagSize(field) + VarintSize(value);

    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteVarintField(Span<byte> destination, int field, ulong value)
    {
        int n = WriteVarint(destination, ((ulong)field << 3) | (ulong)ProtoWireType.Varint);
        return n + WriteVarint(destination[n..], value);
    }

    public static int WriteBytesField(Span<byte> destination, int field, ReadOnlySpan<byte> value)
    {
        int n = WriteLengthPrefix(destination, field, value.Length);
        value.CopyTo(destination[n..]);
        return n + value.Length;
    }

    public static int WriteStringField(Span<byte> destination, int field, string value)
    {
        int n = WriteLengthPrefix(destination, field, Encoding.UTF8.GetByteCount(value));
        return n + Encoding.UTF8.GetBytes(value, destination[n..]);
    }

    /// <summary>Writes the tag and length of a length-delimited field; the caller writes the body.</summary>
    public static int WriteLengthPrefix(Span<byte> destination, int field, int length)
    {
        int n = WriteVarint(destination, ((ulong)field << 3) | (ulong)ProtoWireType.LengthDelimited);
        return n + WriteVarint(destination[n..], (ulong)length);
    }
}

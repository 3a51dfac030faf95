// Protocol buffers wire format: https://protobuf.dev/programming-guides/encoding/
//
//   tag    = varint((field_number << 3) | wire_type)
//   field  = tag value ; value per wire type: varint | 8 bytes | varint(len) bytes | 4 bytes
//
// Hand-written so that field order and presence survive decoding: libp2p signatures (Noise payload, pubsub
// Message, Envelope) are checked against a re-encoding of what was decoded.
using System.Buffers;
using System.Buffers.Binary;

namespace SlipsP2P.Libp2p.Protobuf;

/// <summary>
/// A forward-only protobuf reader over a span. It never throws on malformed input: <see cref="TryReadField"/> returns
/// <see cref="OperationStatus.InvalidData"/> and the caller reports it.
/// </summary>
/// <example>
/// <code>
/// var r = new ProtoReader(bytes);
/// while (!r.End)
/// {
///     if (r.TryReadField(out var f) != OperationStatus.Done) return false;
///     switch (f.Number) { case 1: key = f.ToArray(); break; }
/// }
/// </code>
/// </example>
public ref struct ProtoReader
{
    /// <summary>Protobuf varints are at most 10 bytes (64 bits).</summary>
    public const int MaxVarintLength = 10;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Creates a reader over a complete message.</summary>
    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>True when every byte has been read.</summary>
    public readonly bool End => _position >= _data.Length;

    /// <summary>The offset of the next unread byte.</summary>
    public readonly int Position => _position;

    /// <summary>
    /// Reads the next field. Returns <see cref="OperationStatus.Done"/> with the field,
    /// <see cref="OperationStatus.NeedMoreData"/> when called at the end, and <see cref="OperationStatus.InvalidData"/>
    /// for a bad tag, an unsupported wire type (groups), or a value that runs past the end.
    /// </summary>
    public OperationStatus TryReadField(out ProtoField field)
    {
        field = default;
        if (End) return OperationStatus.NeedMoreData;
        var rest = _data[_position..];
        if (TryReadVarint(rest, out ulong tag, out int n) != OperationStatus.Done) return OperationStatus.InvalidData;
        ulong number = tag >> 3;
        if (number == 0 || number > 536_870_911) return OperationStatus.InvalidData;
        var wire = (ProtoWireType)(tag & 7);
        rest = rest[n..];
        int used = n;
        switch (wire)
        {
            case ProtoWireType.Varint:
                if (TryReadVarint(rest, out ulong v, out int vn) != OperationStatus.Done) return OperationStatus.InvalidData;
                field = new ProtoField((int)number, wire, v, default);
                used += vn;
                break;
            case ProtoWireType.Fixed64:
                if (rest.Length < 8) return OperationStatus.InvalidData;
                field = new ProtoField((int)number, wire, BinaryPrimitives.ReadUInt64LittleEndian(rest), default);
                used += 8;
                break;
            case ProtoWireType.Fixed32:
                if (rest.Length < 4) return OperationStatus.InvalidData;
                field = new ProtoField((int)number, wire, BinaryPrimitives.ReadUInt32LittleEndian(rest), default);
                used += 4;
                break;
            case ProtoWireType.LengthDelimited:
                if (TryReadVarint(rest, out ulong len, out int ln) != OperationStatus.Done) return OperationStatus.InvalidData;
                if (len > (ulong)(rest.Length - ln)) return OperationStatus.InvalidData;
                field = new ProtoField((int)number, wire, len, rest.Slice(ln, (int)len));
                used += ln + (int)len;
                break;
            default:
                return OperationStatus.InvalidData;
        }

        _position += used;
        return OperationStatus.Done;
    }

    /// <summary>Reads a protobuf varint (up to 10 bytes; non-minimal encodings are accepted as protobuf allows).</summary>
    public static OperationStatus TryReadVarint(ReadOnlySpan<byte> source, out ulong value, out int bytesConsumed)
    {
        value = 0;
        bytesConsumed = 0;
        ulong result = 0;
        for (int i = 0; i < MaxVarintLength; i++)
        {
            if (i >= source.Length) return OperationStatus.NeedMoreData;
            byte b = source[i];
            if (i == 9 && b > 1) return OperationStatus.InvalidData;
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = result;
                bytesConsumed = i + 1;
                return OperationStatus.Done;
            }
        }

        return OperationStatus.InvalidData;
    }
}

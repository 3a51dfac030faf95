// yamux frame header: https://github.com/hashicorp/yamux/blob/master/spec.md#framing
//
//   0       1       2               4                               8                              12
//   +-------+-------+---------------+-------------------------------+------------------------------+
//   |version| type  |  flags (BE)   |        stream id (BE)         |         length (BE)          |
//   +-------+-------+---------------+-------------------------------+------------------------------+
using System.Buffers;
using System.Buffers.Binary;

namespace SlipsP2P.Libp2p.Yamux;

/// <summary>A 12-byte yamux header.</summary>
public readonly record struct YamuxHeader(YamuxFrameType Type, YamuxFlags Flags, uint StreamId, uint Length)
{
    /// <summary>The header size.</summary>
    public const int Size = 12;

    /// <summary>The only protocol version.</summary>
    public const byte Version = 0;

    /// <summary>Reads a header; <see cref="OperationStatus.InvalidData"/> for an unknown version or type.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out YamuxHeader header, out int bytesConsumed)
    {
        header = default;
        bytesConsumed = 0;
        if (source.Length < Size) return OperationStatus.NeedMoreData;
        if (source[0] != Version || source[1] > (byte)YamuxFrameType.GoAway) return OperationStatus.InvalidData;
        header = new YamuxHeader((YamuxFrameType)source[1], (YamuxFlags)BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]), BinaryPrimitives.ReadUInt32BigEndian(source[8..]));
        bytesConsumed = Size;
        return OperationStatus.Done;
    }

    /// <summary>Writes the header into <paramref name="destination"/> (at least <see cref="Size"/> bytes).</summary>
    public int Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size);
        destination[0] = Version;
        destination[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Flags);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Length);
        return Size;
    }

    /// <summary>
    /// Extracts one frame from a sequence. Data frames carry their payload (sliced, not copied); other frames have an
    /// empty payload. A Data length above <paramref name="maxPayload"/> is <see cref="OperationStatus.InvalidData"/>
    /// before anything is buffered.
    /// </summary>
    public static OperationStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, uint maxPayload, out YamuxHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (buffer.Length < Size) return OperationStatus.NeedMoreData;
        Span<byte> tmp = stackalloc byte[Size];
        ReadOnlySpan<byte> span = buffer.FirstSpan.Length >= Size ? buffer.FirstSpan[..Size] : CopyHeader(buffer, tmp);
        var st = TryRead(span, out header, out _);
        if (st != OperationStatus.Done) return st;
        if (header.Type != YamuxFrameType.Data)
        {
            buffer = buffer.Slice(Size);
            return OperationStatus.Done;
        }

        if (header.Length > maxPayload) return OperationStatus.InvalidData;
        if (buffer.Length < Size + header.Length) return OperationStatus.NeedMoreData;
        payload = buffer.Slice(Size, header.Length);
        buffer = buffer.Slice(Size + header.Length);
        return OperationStatus.Done;
    }

    private static ReadOnlySpan<byte> CopyHeader(ReadOnlySequence<byte> buffer, Span<byte> tmp)
    {
        buffer.Slice(0, Size).CopyTo(tmp);
        return tmp;
    }
}

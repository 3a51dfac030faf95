// Unsigned varint as used by multiformats: https://github.com/multiformats/unsigned-varint
//
//   byte:  | C | 7 bits of value |   C = 1 when another byte follows; least-significant group first.
//
// multiformats caps varints at 9 bytes (63 bits) and requires the minimal encoding.
using System.Buffers;

namespace SlipsP2P.Libp2p.Multiformats;

/// <summary>The multiformats unsigned varint (LEB128, at most 9 bytes, minimal encoding only).</summary>
public static class Varint
{
    /// <summary>The longest legal encoding: 9 bytes carry 63 bits.</summary>
    public const int MaxLength = 9;

    /// <summary>The largest value that fits in <see cref="MaxLength"/> bytes.</summary>
    public const ulong MaxValue = (1UL << 63) - 1;

    /// <summary>The number of bytes <paramref name="value"/> takes on the wire.</summary>
    public static int GetLength(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    /// <summary>Writes <paramref name="value"/> and returns the number of bytes written.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value exceeds <see cref="MaxValue"/> or the destination is too small.</exception>
    public static int Write(ulong value, Span<byte> destination)
    {
        if (value > MaxValue) throw new ArgumentOutOfRangeException(nameof(value), "varint values are limited to 63 bits");
        int length = GetLength(value);
        if (destination.Length < length) throw new ArgumentOutOfRangeException(nameof(destination), "destination too small for varint");
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Writes <paramref name="value"/> into <paramref name="writer"/>.</summary>
    public static void Write(ulong value, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> span = writer.GetSpan(MaxLength);
        writer.Advance(Write(value, span));
    }

    /// <summary>
    /// Reads a varint. <see cref="OperationStatus.NeedMoreData"/> when the source ends inside it;
    /// <see cref="OperationStatus.InvalidData"/> when it is longer than <see cref="MaxLength"/> or not minimal.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ulong value, out int bytesConsumed)
        => TryRead(source, MaxLength, out value, out bytesConsumed);

    /// <summary>As <see cref="TryRead(ReadOnlySpan{byte}, out ulong, out int)"/>, accepting at most <paramref name="maxBytes"/> bytes.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, int maxBytes, out ulong value, out int bytesConsumed)
    {
        value = 0;
        bytesConsumed = 0;
        if (maxBytes > MaxLength) maxBytes = MaxLength;
        ulong result = 0;
        for (int i = 0; i < maxBytes; i++)
        {
            if (i >= source.Length) return OperationStatus.NeedMoreData;
            byte b = source[i];
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                // A zero final byte after the first means a non-minimal encoding (spec: "MUST be minimal").
                if (b == 0 && i > 0) return OperationStatus.InvalidData;
                value = result;
                bytesConsumed = i + 1;
                return OperationStatus.Done;
            }
        }

        return OperationStatus.InvalidData;
    }

    /// <summary>Reads a varint from a sequence without copying it. Advances <paramref name="buffer"/> past it on success.</summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxBytes, out ulong value)
    {
        if (buffer.FirstSpan.Length >= MaxLength || buffer.IsSingleSegment)
        {
            var status = TryRead(buffer.FirstSpan, maxBytes, out value, out int consumed);
            if (status == OperationStatus.Done) buffer = buffer.Slice(consumed);
            return status;
        }

        Span<byte> tmp = stackalloc byte[MaxLength];
        var slice = buffer.Length > MaxLength ? buffer.Slice(0, MaxLength) : buffer;
        slice.CopyTo(tmp);
        var st = TryRead(tmp[..(int)slice.Length], maxBytes, out value, out int used);
        if (st == OperationStatus.Done) buffer = buffer.Slice(used);
        return st;
    }
}

// Protocol buffers wire format: https://protobuf.dev/programming-guides/encoding/
//
// Writes fields exactly in the order they are called, always with minimal varints: the canonical form that
// libp2p signs (peer-ids spec, "Deterministic encoding"). Nothing is skipped: writing an empty bytes field
// emits "tag 00", which is how js encodes present-but-empty pubsub data.
using System.Text;

namespace SlipsP2P.Libp2p.Protobuf;

/// <summary>
/// A growable protobuf writer. Fields are written in call order; nested messages use
/// <see cref="BeginMessage"/>/<see cref="EndMessage"/>. Not thread-safe.
/// </summary>
public sealed class ProtoWriter
{
    // A nested message's length is reserved at its widest (5 bytes, up to 2^35) and the body shifted back on End.
    private const int ReservedLengthBytes = 5;

    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with the given initial capacity.</summary>
    public ProtoWriter(int initialCapacity = 128)
    {
        _buffer = new byte[Math.Max(initialCapacity, 16)];
    }

    /// <summary>The number of bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far (valid until the next write).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>The bytes written so far as memory (valid until the next write).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Forgets everything written, keeping the buffer.</summary>
    public void Reset() => _length = 0;

    /// <summary>Writes a varint field (uint32/uint64/int32 &gt;= 0/enum).</summary>
    public void WriteVarint(int fieldNumber, ulong value)
    {
        WriteTag(fieldNumber, ProtoWireType.Varint);
        WriteRawVarint(value);
    }

    /// <summary>Writes an int32 field (negative values take 10 bytes, as protobuf requires).</summary>
    public void WriteInt32(int fieldNumber, int value) => WriteVarint(fieldNumber, unchecked((ulong)(long)value));

    /// <summary>Writes a bool field.</summary>
    public void WriteBool(int fieldNumber, bool value) => WriteVarint(fieldNumber, value ? 1UL : 0UL);

    /// <summary>Writes a bytes field, also when <paramref name="value"/> is empty.</summary>
    public void WriteBytes(int fieldNumber, ReadOnlySpan<byte> value)
    {
        WriteTag(fieldNumber, ProtoWireType.LengthDelimited);
        WriteRawVarint((ulong)value.Length);
        value.CopyTo(Grow(value.Length));
        _length += value.Length;
    }

    /// <summary>Writes a string field as UTF-8, also when <paramref name="value"/> is empty.</summary>
    public void WriteString(int fieldNumber, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int byteCount = Encoding.UTF8.GetByteCount(value);
        WriteTag(fieldNumber, ProtoWireType.LengthDelimited);
        WriteRawVarint((ulong)byteCount);
        Encoding.UTF8.GetBytes(value, Grow(byteCount));
        _length += byteCount;
    }

    /// <summary>
    /// Starts a nested message field. Write its fields, then call <see cref="EndMessage"/> with the returned token.
    /// </summary>
    public int BeginMessage(int fieldNumber)
    {
        WriteTag(fieldNumber, ProtoWireType.LengthDelimited);
        Grow(ReservedLengthBytes);
        int start = _length;
        _length += ReservedLengthBytes;
        return start;
    }

    /// <summary>Ends a nested message started by <see cref="BeginMessage"/>, writing its minimal length prefix.</summary>
    public void EndMessage(int token)
    {
        if (token < 0 || token + ReservedLengthBytes > _length) throw new ArgumentOutOfRangeException(nameof(token));
        int bodyStart = token + ReservedLengthBytes;
        int bodyLength = _length - bodyStart;
        Span<byte> prefix = stackalloc byte[ReservedLengthBytes];
        int n = WriteVarintTo(prefix, (ulong)bodyLength);
        prefix[..n].CopyTo(_buffer.AsSpan(token));
        _buffer.AsSpan(bodyStart, bodyLength).CopyTo(_buffer.AsSpan(token + n));
        _length = token + n + bodyLength;
    }

    /// <summary>Writes an already-encoded message as a nested field.</summary>
    public void WriteMessage(int fieldNumber, ReadOnlySpan<byte> encodedMessage) => WriteBytes(fieldNumber, encodedMessage);

    /// <summary>Appends raw bytes (for callers that pre-encode fields).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Grow(bytes.Length));
        _length += bytes.Length;
    }

    /// <summary>Appends a bare varint (no tag).</summary>
    public void WriteRawVarint(ulong value)
    {
        _length += WriteVarintTo(Grow(ProtoReader.MaxVarintLength), value);
    }

    /// <summary>The encoded size of a length-delimited field with a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int GetLengthDelimitedSize(int fieldNumber, int payloadLength)
        => GetVarintSize((ulong)fieldNumber << 3) + GetVarintSize((ulong)payloadLength) + payloadLength;

    /// <summary>The encoded size of a varint.</summary>
    public static int GetVarintSize(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    private void WriteTag(int fieldNumber, ProtoWireType wireType)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fieldNumber, 1);
        WriteRawVarint(((ulong)(uint)fieldNumber << 3) | (uint)wireType);
    }

    private static int WriteVarintTo(Span<byte> destination, ulong value)
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

    private Span<byte> Grow(int count)
    {
        if (_buffer.Length - _length < count)
        {
            int size = Math.Max(_buffer.Length * 2, _length + count);
            Array.Resize(ref _buffer, size);
        }

        return _buffer.AsSpan(_length);
    }
}

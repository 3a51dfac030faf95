// multistream-select 1.0 messages: https://github.com/multiformats/multistream-select
//
//   +----------------------+---------------------------+------+
//   | uvarint(len(msg)+1)  | msg (UTF-8)               | '\n' |
//   +----------------------+---------------------------+------+
//
// js accepts at most 2 length bytes and protocol ids up to 1024 bytes; the trailing newline is mandatory.
using System.Buffers;
using System.Text;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Multistream;

/// <summary>Codec for one multistream-select message (a protocol id, "na", "ls"...).</summary>
public static class MultistreamMessage
{
    /// <summary>The longest protocol id (js and go MAX_PROTOCOL_LENGTH).</summary>
    public const int MaxMessageLength = 1024;

    /// <summary>The largest body accepted when reading: an "ls" reply may list many ids.</summary>
    public const int MaxBodyLength = 16 * 1024;

    /// <summary>The number of bytes <paramref name="message"/> takes on the wire.</summary>
    public static int GetEncodedLength(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int body = Encoding.UTF8.GetByteCount(message) + 1;
        return Varint.GetLength((ulong)body) + body;
    }

    /// <summary>Writes <paramref name="message"/> with its length prefix and newline; returns the bytes written.</summary>
    public static int Write(string message, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(message);
        int body = Encoding.UTF8.GetByteCount(message) + 1;
        if (body - 1 > MaxMessageLength) throw new ArgumentException("multistream message longer than 1024 bytes", nameof(message));
        int n = Varint.Write((ulong)body, destination);
        n += Encoding.UTF8.GetBytes(message, destination[n..]);
        destination[n++] = (byte)'\n';
        return n;
    }

    /// <summary>Writes <paramref name="message"/> into a pipe or buffer writer (no flush).</summary>
    public static void Write(string message, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int length = GetEncodedLength(message);
        writer.Advance(Write(message, writer.GetSpan(length)));
    }

    /// <summary>
    /// Reads one message from <paramref name="buffer"/>, advancing past it. The text excludes the newline.
    /// <see cref="OperationStatus.InvalidData"/> for a body over <paramref name="maxBodyLength"/>, more than two length
    /// bytes, or a missing newline.
    /// </summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxBodyLength, out string message)
    {
        message = string.Empty;
        var work = buffer;
        var st = Varint.TryRead(ref work, 3, out ulong length);
        if (st != OperationStatus.Done) return st;
        if (length == 0 || length > (ulong)maxBodyLength) return OperationStatus.InvalidData;
        if (work.Length < (long)length) return OperationStatus.NeedMoreData;
        var body = work.Slice(0, (long)length);
        Span<byte> last = stackalloc byte[1];
        body.Slice(body.Length - 1).CopyTo(last);
        if (last[0] != (byte)'\n') return OperationStatus.InvalidData;
        message = Encoding.UTF8.GetString(body.Slice(0, body.Length - 1));
        buffer = work.Slice((long)length);
        return OperationStatus.Done;
    }

    /// <summary>Reads a raw length-prefixed body (used for the "ls" reply, which nests messages).</summary>
    internal static OperationStatus TryReadBody(ref ReadOnlySequence<byte> buffer, int maxBodyLength, out ReadOnlySequence<byte> body)
    {
        body = default;
        var work = buffer;
        var st = Varint.TryRead(ref work, 3, out ulong length);
        if (st != OperationStatus.Done) return st;
        if (length > (ulong)maxBodyLength) return OperationStatus.InvalidData;
        if (work.Length < (long)length) return OperationStatus.NeedMoreData;
        body = work.Slice(0, (long)length);
        buffer = work.Slice((long)length);
        return OperationStatus.Done;
    }
}

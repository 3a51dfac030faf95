// Length-prefixed messages ("lp", it-length-prefixed): uvarint(len) || bytes.
// Used by identify, gossipsub and kad streams. The length is bounded before anything is allocated.
using System.Buffers;
using System.IO.Pipelines;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Protobuf;

/// <summary>Reads and writes uvarint-length-prefixed messages on pipes.</summary>
public static class LengthPrefixed
{
    /// <summary>
    /// Extracts one message from <paramref name="buffer"/> without copying. <see cref="OperationStatus.InvalidData"/>
    /// when the declared length exceeds <paramref name="maxLength"/> or the prefix is malformed.
    /// </summary>
    public static OperationStatus TryReadMessage(ref ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> message)
    {
        message = default;
        var work = buffer;
        var st = Varint.TryRead(ref work, Varint.MaxLength, out ulong length);
        if (st != OperationStatus.Done) return st;
        if (length > (ulong)maxLength) return OperationStatus.InvalidData;
        if (work.Length < (long)length) return OperationStatus.NeedMoreData;
        message = work.Slice(0, (long)length);
        buffer = work.Slice((long)length);
        return OperationStatus.Done;
    }

    /// <summary>
    /// Reads one message. Returns null when the stream ends cleanly before a new message starts; throws
    /// <see cref="InvalidDataException"/> for an oversized or truncated message.
    /// </summary>
    public static async ValueTask<byte[]?> ReadAsync(PipeReader reader, int maxLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var st = TryReadMessage(ref buffer, maxLength, out var message);
            if (st == OperationStatus.Done)
            {
                var bytes = message.ToArray();
                reader.AdvanceTo(buffer.Start);
                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (st == OperationStatus.InvalidData)
            {
                throw new InvalidDataException($"length-prefixed message longer than {maxLength} bytes or malformed prefix");
            }

            if (result.IsCompleted)
            {
                if (result.Buffer.IsEmpty) return null;
                throw new InvalidDataException("stream ended inside a length-prefixed message");
            }

            if (result.IsCanceled) throw new OperationCanceledException("length-prefixed read canceled");
        }
    }

    /// <summary>Writes one message and flushes.</summary>
    public static async ValueTask WriteAsync(PipeWriter writer, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Write(writer, message.Span);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one message without flushing.</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var span = writer.GetSpan(Varint.MaxLength + message.Length);
        int n = Varint.Write((ulong)message.Length, span);
        message.CopyTo(span[n..]);
        writer.Advance(n + message.Length);
    }
}

// Length-prefixed RPC framing on pubsub streams (pubsub README, "The RPC"): uvarint(len) || RPC.
//
//   +----------------+---------------------+
//   | uvarint length | RPC (length bytes)  |
//   +----------------+---------------------+
//
// The length is checked against the configured maximum before anything is buffered or allocated.
using System.Buffers;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>Reads and writes length-prefixed RPC frames.</summary>
public static class RpcFraming
{
    /// <summary>The default maximum RPC size (1 MiB, as js-libp2p gossipsub's).</summary>
    public const int DefaultMaxRpcSize = 1024 * 1024;

    /// <summary>
    /// Extracts one frame from <paramref name="buffer"/>. On <see cref="OperationStatus.Done"/> the payload is a slice
    /// of the buffer and <paramref name="buffer"/> is advanced past the frame. <see cref="OperationStatus.NeedMoreData"/>
    /// leaves the buffer unchanged; <see cref="OperationStatus.InvalidData"/> means a bad prefix or a frame larger than
    /// <paramref name="maxSize"/> (the connection should be dropped).
    /// </summary>
    public static OperationStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxSize, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        Span<byte> prefix = stackalloc byte[Varint.MaxLength];
        var available = buffer.Length < Varint.MaxLength ? (int)buffer.Length : Varint.MaxLength;
        buffer.Slice(0, available).CopyTo(prefix);
        var status = Varint.TryRead(prefix[..available], out ulong length, out int prefixLength);
        if (status == OperationStatus.NeedMoreData)
        {
            return available == Varint.MaxLength ? OperationStatus.InvalidData : OperationStatus.NeedMoreData;
        }

        if (status != OperationStatus.Done || length > (ulong)maxSize) return OperationStatus.InvalidData;
        if (buffer.Length - prefixLength < (long)length) return OperationStatus.NeedMoreData;
        payload = buffer.Slice(prefixLength, (long)length);
        buffer = buffer.Slice(payload.End);
        return OperationStatus.Done;
    }

    /// <summary>The size of the framed RPC (prefix and body).</summary>
    public static int GetFramedLength(PubsubRpc rpc)
    {
        ArgumentNullException.ThrowIfNull(rpc);
        int body = rpc.GetSerializedLength();
        return Varint.GetLength((ulong)body) + body;
    }

    /// <summary>Writes prefix and body into <paramref name="destination"/> and returns the bytes written.</summary>
    public static int WriteFrame(PubsubRpc rpc, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(rpc);
        int body = rpc.GetSerializedLength();
        int n = Varint.Write((ulong)body, destination);
        return n + rpc.Write(destination[n..]);
    }

    /// <summary>Decodes a frame payload (possibly multi-segment) into an RPC.</summary>
    public static OperationStatus TryDecode(in ReadOnlySequence<byte> payload, out PubsubRpc rpc)
    {
        if (payload.IsSingleSegment) return PubsubRpc.TryRead(payload.FirstSpan, out rpc, out _);
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
        try
        {
            payload.CopyTo(rented);
            return PubsubRpc.TryRead(rented.AsSpan(0, (int)payload.Length), out rpc, out _);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

// ControlIWant: https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md#control-messages
//
//   message ControlIWant { repeated bytes messageIDs = 1; }
using System.Buffers;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>IWANT: message ids the sender asks us to send in full.</summary>
public sealed class ControlIWant
{
    /// <summary>Field 1: message ids.</summary>
    public List<byte[]> MessageIds { get; } = [];

    /// <summary>Encoded size.</summary>
    public int GetSerializedLength() => RepeatedBytes.GetSize(1, MessageIds);

    /// <summary>Writes the element and returns the bytes written.</summary>
    public int Write(Span<byte> destination) => RepeatedBytes.Write(destination, 1, MessageIds);

    /// <summary>Decodes a complete ControlIWant body.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ControlIWant value, out int bytesConsumed)
    {
        value = new ControlIWant();
        bytesConsumed = 0;
        if (RepeatedBytes.TryRead(source, 1, value.MessageIds) != OperationStatus.Done) return OperationStatus.InvalidData;
        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

// ControlIDontWant (gossipsub v1.2): https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.2.md
//
//   message ControlIDontWant { repeated bytes messageIDs = 1; }
using System.Buffers;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>IDONTWANT: message ids the sender already has and does not want forwarded to it.</summary>
public sealed class ControlIDontWant
{
    /// <summary>Field 1: message ids.</summary>
    public List<byte[]> MessageIds { get; } = [];

    /// <summary>Encoded size.</summary>
    public int GetSerializedLength() => RepeatedBytes.GetSize(1, MessageIds);

    /// <summary>Writes the element and returns the bytes written.</summary>
    public int Write(Span<byte> destination) => RepeatedBytes.Write(destination, 1, MessageIds);

    /// <summary>Decodes a complete ControlIDontWant body.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ControlIDontWant value, out int bytesConsumed)
    {
        value = new ControlIDontWant();
        bytesConsumed = 0;
        if (RepeatedBytes.TryRead(source, 1, value.MessageIds) != OperationStatus.Done) return OperationStatus.InvalidData;
        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>Shared code for the <c>repeated bytes messageIDs</c> fields of IHAVE, IWANT and IDONTWANT.</summary>
internal static class RepeatedBytes
{
    public static int GetSize(int field, List<byte[]> items)
    {
        int n = 0;
        foreach (var item in items) n += SpanProto.BytesFieldSize(field, item.Length);
        return n;
    }

    public static int Write(Span<byte> destination, int field, List<byte[]> items)
    {
        int n = 0;
        foreach (var item in items) n += SpanProto.WriteBytesField(destination[n..], field, item);
        return n;
    }

    /// <summary>Reads a message whose only known field is <paramref name="field"/> (repeated bytes).</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, int field, List<byte[]> items)
    {
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number != field) continue;
            if (f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
            items.Add(f.ToArray());
        }

        return OperationStatus.Done;
    }
}

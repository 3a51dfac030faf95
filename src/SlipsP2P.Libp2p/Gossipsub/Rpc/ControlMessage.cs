// ControlMessage: https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md#control-messages
// (v1.2 adds idontwant = 5).
//
//   message ControlMessage {
//     repeated ControlIHave     ihave     = 1;
//     repeated ControlIWant     iwant     = 2;
//     repeated ControlGraft     graft     = 3;
//     repeated ControlPrune     prune     = 4;
//     repeated ControlIDontWant idontwant = 5;
//   }
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>The gossipsub control part of an RPC.</summary>
public sealed class ControlMessage
{
    /// <summary>Field 1.</summary>
    public List<ControlIHave> IHave { get; } = [];

    /// <summary>Field 2.</summary>
    public List<ControlIWant> IWant { get; } = [];

    /// <summary>Field 3.</summary>
    public List<ControlGraft> Graft { get; } = [];

    /// <summary>Field 4.</summary>
    public List<ControlPrune> Prune { get; } = [];

    /// <summary>Field 5 (v1.2).</summary>
    public List<ControlIDontWant> IDontWant { get; } = [];

    /// <summary>True when no control element is present.</summary>
    public bool IsEmpty => IHave.Count == 0 && IWant.Count == 0 && Graft.Count == 0 && Prune.Count == 0 && IDontWant.Count == 0;

    /// <summary>Encoded size.</summary>
    public int GetSerializedLength()
    {
        int n = 0;
        foreach (var x in IHave) n += SpanProto.BytesFieldSize(1, x.GetSerializedLength());
        foreach (var x in IWant) n += SpanProto.BytesFieldSize(2, x.GetSerializedLength());
        foreach (var x in Graft) n += SpanProto.BytesFieldSize(3, x.GetSerializedLength());
        foreach (var x in Prune) n += SpanProto.BytesFieldSize(4, x.GetSerializedLength());
        foreach (var x in IDontWant) n += SpanProto.BytesFieldSize(5, x.GetSerializedLength());
        return n;
    }

    /// <summary>Writes the element and returns the bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        int n = 0;
        foreach (var x in IHave)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 1, x.GetSerializedLength());
            n += x.Write(destination[n..]);
        }

        foreach (var x in IWant)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 2, x.GetSerializedLength());
            n += x.Write(destination[n..]);
        }

        foreach (var x in Graft)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 3, x.GetSerializedLength());
            n += x.Write(destination[n..]);
        }

        foreach (var x in Prune)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 4, x.GetSerializedLength());
            n += x.Write(destination[n..]);
        }

        foreach (var x in IDontWant)
        {
            n += SpanProto.WriteLengthPrefix(destination[n..], 5, x.GetSerializedLength());
            n += x.Write(destination[n..]);
        }

        return n;
    }

    /// <summary>Decodes a complete ControlMessage body.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ControlMessage value, out int bytesConsumed)
    {
        value = new ControlMessage();
        bytesConsumed = 0;
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number is < 1 or > 5) continue;
            if (f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
            OperationStatus s;
            switch (f.Number)
            {
                case 1:
                    s = ControlIHave.TryRead(f.Bytes, out var ihave, out _);
                    value.IHave.Add(ihave);
                    break;
                case 2:
                    s = ControlIWant.TryRead(f.Bytes, out var iwant, out _);
                    value.IWant.Add(iwant);
                    break;
                case 3:
                    s = ControlGraft.TryRead(f.Bytes, out var graft, out _);
                    value.Graft.Add(graft);
                    break;
                case 4:
                    s = ControlPrune.TryRead(f.Bytes, out var prune, out _);
                    value.Prune.Add(prune);
                    break;
                default:
                    s = ControlIDontWant.TryRead(f.Bytes, out var idw, out _);
                    value.IDontWant.Add(idw);
                    break;
            }

            if (s != OperationStatus.Done) return OperationStatus.InvalidData;
        }

        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }
}

// kad-dht RPC message: https://github.com/libp2p/specs/blob/master/kad-dht/README.md#rpc-messages
//
//   message Message {
//     MessageType type = 1;  bytes key = 2;  Record record = 3;
//     repeated Peer closerPeers = 8;  repeated Peer providerPeers = 9;  int32 clusterLevelRaw = 10;
//   }
//
// Each message travels uvarint-length-prefixed on its stream. Records and provider peers are kept as raw bytes:
// this DHT only does peer routing and never interprets them.
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Discovery.Kad;

/// <summary>A kad-dht request or response.</summary>
public sealed class KadMessage
{
    /// <summary>The largest encoded message accepted (go-libp2p-kad-dht allows 4 MiB; peer routing needs far less).</summary>
    public const int MaxSize = 64 * 1024;

    /// <summary>The most closer or provider peers read from one message; further ones are skipped.</summary>
    public const int MaxPeers = 64;

    /// <summary>The longest key accepted.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>The message type.</summary>
    public KadMessageType Type { get; set; }

    /// <summary>The key (for FIND_NODE, the target peer id bytes).</summary>
    public byte[]? Key { get; set; }

    /// <summary>The raw Record field, echoed as is.</summary>
    public byte[]? Record { get; set; }

    /// <summary>The closer peers (responses).</summary>
    public List<KadPeer> CloserPeers { get; } = [];

    /// <summary>The provider peers (GET_PROVIDERS responses).</summary>
    public List<KadPeer> ProviderPeers { get; } = [];

    /// <summary>The deprecated cluster level, when present.</summary>
    public int? ClusterLevelRaw { get; set; }

    /// <summary>Decodes a whole message. <see cref="OperationStatus.InvalidData"/> for malformed or oversized input.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out KadMessage? message, out int bytesConsumed)
    {
        message = null;
        bytesConsumed = 0;
        if (source.Length > MaxSize) return OperationStatus.InvalidData;
        var m = new KadMessage();
        var reader = new ProtoReader(source);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            switch (f.Number)
            {
                case 1 when f.WireType == ProtoWireType.Varint:
                    if (f.Scalar > (ulong)KadMessageType.Ping) return OperationStatus.InvalidData;
                    m.Type = (KadMessageType)f.Scalar;
                    break;
                case 2 when f.WireType == ProtoWireType.LengthDelimited:
                    if (f.Bytes.Length > MaxKeyLength) return OperationStatus.InvalidData;
                    m.Key = f.ToArray();
                    break;
                case 3 when f.WireType == ProtoWireType.LengthDelimited:
                    m.Record = f.ToArray();
                    break;
                case 8 when f.WireType == ProtoWireType.LengthDelimited:
                case 9 when f.WireType == ProtoWireType.LengthDelimited:
                    var list = f.Number == 8 ? m.CloserPeers : m.ProviderPeers;
                    if (list.Count >= MaxPeers) break;
                    if (KadPeer.TryRead(f.Bytes, out var peer) != OperationStatus.Done) return OperationStatus.InvalidData;
                    list.Add(peer!);
                    break;
                case 10 when f.WireType == ProtoWireType.Varint:
                    m.ClusterLevelRaw = f.AsInt32;
                    break;
                default:
                    break;
            }
        }

        message = m;
        bytesConsumed = source.Length;
        return OperationStatus.Done;
    }

    /// <summary>Encodes the message (fields in number order; type is always written, as proto3 peers accept).</summary>
    public byte[] ToArray()
    {
        var w = new ProtoWriter(64 + (CloserPeers.Count + ProviderPeers.Count) * 96);
        w.WriteVarint(1, (ulong)Type);
        if (Key is not null) w.WriteBytes(2, Key);
        if (Record is not null) w.WriteBytes(3, Record);
        foreach (var p in CloserPeers)
        {
            int token = w.BeginMessage(8);
            p.Write(w);
            w.EndMessage(token);
        }

        foreach (var p in ProviderPeers)
        {
            int token = w.BeginMessage(9);
            p.Write(w);
            w.EndMessage(token);
        }

        if (ClusterLevelRaw is int level) w.WriteInt32(10, level);
        return w.ToArray();
    }
}

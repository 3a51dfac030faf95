// kad-dht Message.Peer: https://github.com/libp2p/specs/blob/master/kad-dht/README.md#rpc-messages
//
//   message Peer { bytes id = 1; repeated bytes addrs = 2; ConnectionType connection = 3; }
using System.Buffers;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Discovery.Kad;

/// <summary>A peer entry of a kad message: its id, addresses (without /p2p) and connection state.</summary>
/// <param name="Peer">The peer id.</param>
/// <param name="Addresses">Its multiaddrs; undecodable ones are dropped when reading.</param>
/// <param name="Connection">The sender's connection state to it.</param>
public sealed record KadPeer(PeerId Peer, IReadOnlyList<Multiaddr> Addresses, KadConnectionType Connection)
{
    /// <summary>The most addresses kept per peer entry; further ones are skipped.</summary>
    public const int MaxAddresses = 32;

    /// <summary>Decodes one encoded Peer message (the bytes of field 8 or 9).</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out KadPeer? peer)
    {
        peer = null;
        var reader = new ProtoReader(source);
        PeerId? id = null;
        var addrs = new List<Multiaddr>();
        var connection = KadConnectionType.NotConnected;
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            switch (f.Number)
            {
                case 1 when f.WireType == ProtoWireType.LengthDelimited:
                    if (!PeerId.TryFromBytes(f.Bytes, out id)) return OperationStatus.InvalidData;
                    break;
                case 2 when f.WireType == ProtoWireType.LengthDelimited:
                    if (addrs.Count < MaxAddresses && Multiaddr.TryDecode(f.Bytes, out var ma) == OperationStatus.Done) addrs.Add(ma!.WithoutPeerId());
                    break;
                case 3 when f.WireType == ProtoWireType.Varint:
                    connection = f.Scalar <= (ulong)KadConnectionType.CannotConnect ? (KadConnectionType)f.Scalar : KadConnectionType.NotConnected;
                    break;
                default:
                    break;
            }
        }

        if (id is null) return OperationStatus.InvalidData;
        peer = new KadPeer(id, addrs, connection);
        return OperationStatus.Done;
    }

    /// <summary>Writes this entry as a Peer message (without the enclosing field header).</summary>
    public void Write(ProtoWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteBytes(1, Peer.Bytes);
        foreach (var a in Addresses) writer.WriteBytes(2, a.Bytes);
        if (Connection != KadConnectionType.NotConnected) writer.WriteVarint(3, (ulong)Connection);
    }
}

// Identify: https://github.com/libp2p/specs/blob/master/identify/README.md
//
//   message Identify {
//     optional string protocolVersion = 5;   optional string agentVersion = 6;
//     optional bytes publicKey = 1;          repeated bytes listenAddrs = 2;
//     optional bytes observedAddr = 4;       repeated string protocols = 3;
//     optional bytes signedPeerRecord = 8;
//   }
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Protocols.Identify;

/// <summary>The identify protobuf. Absent fields stay null so that identify push can merge only what was sent.</summary>
public sealed class IdentifyMessage
{
    /// <summary>js's maximum identify message (MAX_IDENTIFY_MESSAGE_SIZE).</summary>
    public const int MaxLength = 8 * 1024;

    /// <summary>The protocol family version ("ipfs/0.1.0").</summary>
    public string? ProtocolVersion { get; set; }

    /// <summary>The implementation name and version.</summary>
    public string? AgentVersion { get; set; }

    /// <summary>The serialized PublicKey.</summary>
    public byte[]? PublicKey { get; set; }

    /// <summary>Binary multiaddrs the peer listens on (without /p2p), or null when absent.</summary>
    public List<byte[]>? ListenAddrs { get; set; }

    /// <summary>The binary multiaddr the responder sees for the asker.</summary>
    public byte[]? ObservedAddr { get; set; }

    /// <summary>Protocols the peer accepts inbound, or null when absent.</summary>
    public List<string>? Protocols { get; set; }

    /// <summary>A signed peer record envelope (kept opaque).</summary>
    public byte[]? SignedPeerRecord { get; set; }

    /// <summary>Encodes the present fields in field-number order.</summary>
    public byte[] Encode()
    {
        var w = new ProtoWriter(256);
        if (PublicKey is not null) w.WriteBytes(1, PublicKey);
        if (ListenAddrs is not null)
        {
            foreach (var a in ListenAddrs) w.WriteBytes(2, a);
        }

        if (Protocols is not null)
        {
            foreach (var p in Protocols) w.WriteString(3, p);
        }

        if (ObservedAddr is not null) w.WriteBytes(4, ObservedAddr);
        if (ProtocolVersion is not null) w.WriteString(5, ProtocolVersion);
        if (AgentVersion is not null) w.WriteString(6, AgentVersion);
        if (SignedPeerRecord is not null) w.WriteBytes(8, SignedPeerRecord);
        return w.ToArray();
    }

    /// <summary>Decodes tolerantly (unknown fields skipped). At most 256 addresses and 512 protocols are kept.</summary>
    public static OperationStatus TryDecode(ReadOnlySpan<byte> source, out IdentifyMessage? message)
    {
        message = null;
        if (source.Length > MaxLength) return OperationStatus.InvalidData;
        var m = new IdentifyMessage();
        var r = new ProtoReader(source);
        while (!r.End)
        {
            if (r.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.WireType != ProtoWireType.LengthDelimited) continue;
            switch (f.Number)
            {
                case 1: m.PublicKey = f.ToArray(); break;
                case 2:
                    m.ListenAddrs ??= [];
                    if (m.ListenAddrs.Count < 256) m.ListenAddrs.Add(f.ToArray());
                    break;
                case 3:
                    m.Protocols ??= [];
                    if (m.Protocols.Count < 512) m.Protocols.Add(f.AsString());
                    break;
                case 4: m.ObservedAddr = f.ToArray(); break;
                case 5: m.ProtocolVersion = f.AsString(); break;
                case 6: m.AgentVersion = f.AsString(); break;
                case 8: m.SignedPeerRecord = f.ToArray(); break;
            }
        }

        message = m;
        return OperationStatus.Done;
    }
}

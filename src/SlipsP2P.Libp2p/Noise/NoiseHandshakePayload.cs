// libp2p Noise handshake payload: https://github.com/libp2p/specs/blob/master/noise/README.md#the-libp2p-handshake-payload
//
//   message NoiseExtensions { repeated bytes webtransport_certhashes = 1; repeated string stream_muxers = 2; }
//   message NoiseHandshakePayload {
//     optional bytes identity_key = 1;        // serialized PublicKey
//     optional bytes identity_sig = 2;        // Sign(identity, "noise-libp2p-static-key:" || X25519 static pub)
//     optional NoiseExtensions extensions = 4;
//   }
using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Noise;

/// <summary>The decoded libp2p Noise handshake payload.</summary>
public sealed record NoiseHandshakePayload(byte[] IdentityKey, byte[] IdentitySignature, IReadOnlyList<string> StreamMuxers)
{
    /// <summary>The prefix of the signed data.</summary>
    public const string SignaturePrefix = "noise-libp2p-static-key:";

    /// <summary>The largest payload accepted.</summary>
    public const int MaxLength = 8192;

    /// <summary>Encodes the payload (extensions only when muxers are listed).</summary>
    public byte[] Encode()
    {
        var w = new ProtoWriter(IdentityKey.Length + IdentitySignature.Length + 16);
        w.WriteBytes(1, IdentityKey);
        w.WriteBytes(2, IdentitySignature);
        if (StreamMuxers.Count > 0)
        {
            int token = w.BeginMessage(4);
            foreach (var m in StreamMuxers) w.WriteString(2, m);
            w.EndMessage(token);
        }

        return w.ToArray();
    }

    /// <summary>Decodes tolerantly (unknown fields ignored); identity key and signature must be present.</summary>
    public static OperationStatus TryDecode(ReadOnlySpan<byte> source, out NoiseHandshakePayload? payload)
    {
        payload = null;
        if (source.Length > MaxLength) return OperationStatus.InvalidData;
        byte[]? key = null;
        byte[]? sig = null;
        var muxers = new List<string>();
        var r = new ProtoReader(source);
        while (!r.End)
        {
            if (r.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.WireType != ProtoWireType.LengthDelimited) continue;
            switch (f.Number)
            {
                case 1: key = f.ToArray(); break;
                case 2: sig = f.ToArray(); break;
                case 4:
                    var er = new ProtoReader(f.Bytes);
                    while (!er.End)
                    {
                        if (er.TryReadField(out var ef) != OperationStatus.Done) return OperationStatus.InvalidData;
                        if (ef.Number == 2 && ef.WireType == ProtoWireType.LengthDelimited && muxers.Count < 16) muxers.Add(ef.AsString());
                    }

                    break;
            }
        }

        if (key is null || sig is null) return OperationStatus.InvalidData;
        payload = new NoiseHandshakePayload(key, sig, muxers);
        return OperationStatus.Done;
    }
}

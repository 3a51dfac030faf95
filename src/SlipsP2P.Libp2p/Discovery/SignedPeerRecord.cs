// Signed peer records: RFC 0002 signed envelopes (https://github.com/libp2p/specs/blob/master/RFC/0002-signed-envelopes.md)
// carrying an RFC 0003 routing record (https://github.com/libp2p/specs/blob/master/RFC/0003-routing-records.md).
// Gossipsub v1.1 PX sends them in PRUNE (PeerInfo.signedPeerRecord) so that the pruned peer can dial the candidates.
//
//   message Envelope   { PublicKey public_key = 1; bytes payload_type = 2; bytes payload = 3; bytes signature = 5; }
//   message PeerRecord { bytes peer_id = 1; uint64 seq = 2; repeated AddressInfo addresses = 3; }
//   message AddressInfo { bytes multiaddr = 1; }
//
//   signature = sign(varint(len domain) | domain | varint(len payload_type) | payload_type | varint(len payload) | payload)
//   domain = "libp2p-peer-record", payload_type = multicodec libp2p-peer-record as the bytes 0x03 0x01
using System.Buffers;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Discovery;

/// <summary>A verified routing record: the addresses a peer signed for itself, with its sequence number.</summary>
/// <param name="Peer">The peer the record is about (its key signed the envelope).</param>
/// <param name="Sequence">Larger is newer.</param>
/// <param name="Addresses">Its listen addresses (without /p2p).</param>
public sealed record SignedPeerRecord(PeerId Peer, ulong Sequence, IReadOnlyList<Multiaddr> Addresses)
{
    /// <summary>The largest envelope read (PX carries up to PrunePeers of them per PRUNE).</summary>
    public const int MaxEnvelopeLength = 8 * 1024;

    /// <summary>Addresses kept from one record; the rest are ignored.</summary>
    public const int MaxAddresses = 32;

    /// <summary>The signature domain of peer records (RFC 0003).</summary>
    public const string Domain = "libp2p-peer-record";

    private static readonly byte[] s_payloadType = [0x03, 0x01];

    /// <summary>
    /// Decodes and verifies an envelope. <see cref="OperationStatus.InvalidData"/> for anything malformed, oversized,
    /// of another payload type, with a bad signature, or about a peer other than the signing key's.
    /// </summary>
    public static OperationStatus TryOpen(ReadOnlySpan<byte> envelope, out SignedPeerRecord? record)
    {
        record = null;
        if (envelope.Length > MaxEnvelopeLength) return OperationStatus.InvalidData;
        ReadOnlySpan<byte> keyBytes = default, payloadType = default, payload = default, signature = default;
        var reader = new ProtoReader(envelope);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            if (f.Number is 1 or 2 or 3 or 5 && f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
            switch (f.Number)
            {
                case 1: keyBytes = f.Bytes; break;
                case 2: payloadType = f.Bytes; break;
                case 3: payload = f.Bytes; break;
                case 5: signature = f.Bytes; break;
                default: break;
            }
        }

        if (!payloadType.SequenceEqual(s_payloadType) || signature.IsEmpty) return OperationStatus.InvalidData;
        if (PublicKey.TryDecode(keyBytes, out var key) != OperationStatus.Done || key is null) return OperationStatus.InvalidData;
        if (!key.Verify(SignedData(payloadType, payload), signature)) return OperationStatus.InvalidData;
        if (TryReadPayload(payload, out var peer, out ulong seq, out var addresses) != OperationStatus.Done) return OperationStatus.InvalidData;
        // RFC 0002: the record is about the peer whose key signed it; anything else is a forgery.
        if (peer != key.ToPeerId()) return OperationStatus.InvalidData;
        record = new SignedPeerRecord(peer!, seq, addresses);
        return OperationStatus.Done;
    }

    /// <summary>Makes the envelope of <paramref name="key"/>'s record (sequence <paramref name="sequence"/>).</summary>
    public static byte[] Seal(Ed25519KeyPair key, ulong sequence, IEnumerable<Multiaddr> addresses)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(addresses);
        var payload = new ProtoWriter();
        payload.WriteBytes(1, key.PeerId.ToByteArray());
        payload.WriteVarint(2, sequence);
        var info = new ProtoWriter();
        foreach (var a in addresses)
        {
            info.Reset();
            info.WriteBytes(1, a.WithoutPeerId().ToByteArray());
            payload.WriteMessage(3, info.WrittenSpan);
        }

        var envelope = new ProtoWriter();
        envelope.WriteMessage(1, key.PublicKey.Protobuf);
        envelope.WriteBytes(2, s_payloadType);
        envelope.WriteBytes(3, payload.WrittenSpan);
        envelope.WriteBytes(5, key.Sign(SignedData(s_payloadType, payload.WrittenSpan)));
        return envelope.ToArray();
    }

    private static OperationStatus TryReadPayload(ReadOnlySpan<byte> payload, out PeerId? peer, out ulong seq, out List<Multiaddr> addresses)
    {
        peer = null;
        seq = 0;
        addresses = [];
        var reader = new ProtoReader(payload);
        while (!reader.End)
        {
            if (reader.TryReadField(out var f) != OperationStatus.Done) return OperationStatus.InvalidData;
            switch (f.Number)
            {
                case 1:
                    if (f.WireType != ProtoWireType.LengthDelimited || !PeerId.TryFromBytes(f.Bytes, out peer)) return OperationStatus.InvalidData;
                    break;
                case 2:
                    if (f.WireType != ProtoWireType.Varint) return OperationStatus.InvalidData;
                    seq = f.Scalar;
                    break;
                case 3:
                    if (f.WireType != ProtoWireType.LengthDelimited) return OperationStatus.InvalidData;
                    if (addresses.Count >= MaxAddresses) break;
                    var info = new ProtoReader(f.Bytes);
                    while (!info.End)
                    {
                        if (info.TryReadField(out var a) != OperationStatus.Done) return OperationStatus.InvalidData;
                        // An address this implementation cannot decode (a newer protocol) is skipped, not fatal.
                        if (a.Number == 1 && a.WireType == ProtoWireType.LengthDelimited
                            && Multiaddr.TryDecode(a.Bytes, out var ma) == OperationStatus.Done && ma is not null)
                        {
                            addresses.Add(ma);
                        }
                    }

                    break;
                default:
                    break;
            }
        }

        return peer is null ? OperationStatus.InvalidData : OperationStatus.Done;
    }

    private static byte[] SignedData(ReadOnlySpan<byte> payloadType, ReadOnlySpan<byte> payload)
    {
        var w = new ProtoWriter(Domain.Length + payloadType.Length + payload.Length + 16);
        w.WriteRawVarint((ulong)Domain.Length);
        w.WriteRaw(System.Text.Encoding.ASCII.GetBytes(Domain));
        w.WriteRawVarint((ulong)payloadType.Length);
        w.WriteRaw(payloadType);
        w.WriteRawVarint((ulong)payload.Length);
        w.WriteRaw(payload);
        return w.ToArray();
    }
}

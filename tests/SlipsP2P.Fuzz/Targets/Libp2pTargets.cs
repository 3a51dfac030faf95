using System.Buffers;
using System.Text;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Discovery.Kad;
using SlipsP2P.Libp2p.Discovery.Mdns;
using SlipsP2P.Libp2p.Gossipsub.Rpc;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Multistream;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Protobuf;
using SlipsP2P.Libp2p.Protocols.Identify;
using SlipsP2P.Libp2p.Yamux;
using VarintCodec = SlipsP2P.Libp2p.Multiformats.Varint;

namespace SlipsP2P.Fuzz;

/// <summary>Targets for SlipsP2P.Libp2p: multiformats, keys, multistream, Noise, yamux, gossipsub, identify, kad, mDNS.</summary>
public static class Libp2pTargets
{
    /// <summary>The largest frame the framed targets accept (as the host's own limits do).</summary>
    private const int MaxFrame = 64 * 1024;

    // Fixed keys: the Noise targets must be deterministic for a fuzzer to make progress.
    private static readonly byte[] s_initiatorStatic = Enumerable.Repeat((byte)0x07, 32).ToArray();
    private static readonly byte[] s_initiatorEphemeral = Enumerable.Repeat((byte)0x11, 32).ToArray();
    private static readonly byte[] s_transportKey = Enumerable.Repeat((byte)0x42, 32).ToArray();

    /// <summary>A binary multiaddr; when it decodes, its text form must parse back to the same bytes.</summary>
    public static void MultiaddrBinary(ReadOnlySpan<byte> input)
    {
        if (Multiaddr.TryDecode(input, out var ma) != OperationStatus.Done || ma is null) return;
        string text = ma.ToString();
        if (!Multiaddr.TryParse(text, out var again, out string? error) || again is null)
        {
            throw new FuzzInvariantException($"decoded multiaddr '{text}' does not parse back: {error}");
        }

        if (!again.Equals(ma)) throw new FuzzInvariantException($"multiaddr '{text}' round trip differs: '{again}'");
    }

    /// <summary>A text multiaddr; when it parses, its bytes must decode back to the same address.</summary>
    public static void MultiaddrText(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        if (!Multiaddr.TryParse(text, out var ma, out _) || ma is null) return;
        byte[] bytes = ma.ToByteArray();
        if (Multiaddr.TryDecode(bytes, out var again) != OperationStatus.Done || again is null || !again.Equals(ma))
        {
            throw new FuzzInvariantException($"multiaddr '{text}' does not survive its binary form");
        }
    }

    /// <summary>Varints read one after another from a span and from a segmented sequence must agree and round-trip.</summary>
    public static void Varint(ReadOnlySpan<byte> input)
    {
        var sequence = Segments.Split(input, Segments.ChunkFor(input));
        var span = input;
        Span<byte> scratch = stackalloc byte[10];
        while (!span.IsEmpty)
        {
            var st = VarintCodec.TryRead(span, out ulong value, out int consumed);
            var st2 = VarintCodec.TryRead(ref sequence, 10, out ulong value2);
            if (st != st2 || (st == OperationStatus.Done && value != value2))
            {
                throw new FuzzInvariantException($"span read {st} {value}, sequence read {st2} {value2}");
            }

            if (st != OperationStatus.Done) return;
            int written = VarintCodec.Write(value, scratch);
            if (written > consumed || VarintCodec.TryRead(scratch[..written], out ulong back, out _) != OperationStatus.Done || back != value)
            {
                throw new FuzzInvariantException($"varint {value} does not round-trip");
            }

            span = span[consumed..];
        }
    }

    /// <summary>Every field of a message, and the fields of every length-delimited field (one level down).</summary>
    public static void Protobuf(ReadOnlySpan<byte> input)
    {
        ReadFields(input, nested: true);
        ProtoReader.TryReadVarint(input, out _, out _);
    }

    /// <summary>A peer id multihash, text forms, a public key protobuf and a private key protobuf.</summary>
    public static void PeerIdAndKeys(ReadOnlySpan<byte> input)
    {
        if (PeerId.TryFromBytes(input, out var id) && id is not null)
        {
            string text = id.ToString();
            if (!PeerId.TryParse(text, out var again) || again != id) throw new FuzzInvariantException($"peer id {text} does not parse back");
        }

        if (PeerId.TryParse(Encoding.UTF8.GetString(input), out var parsed) && parsed is null) throw new FuzzInvariantException("TryParse succeeded with null");
        if (PublicKey.TryDecode(input, out var key) == OperationStatus.Done && key is not null)
        {
            _ = key.ToPeerId();
            key.Verify(input, new byte[Ed25519KeyPair.SignatureLength]);
        }

        if (Ed25519KeyPair.TryDecodePrivateKey(input, out var pair) == OperationStatus.Done) pair?.Dispose();
    }

    /// <summary>multistream-select messages read from a segmented sequence until the data ends or is invalid.</summary>
    public static void Multistream(ReadOnlySpan<byte> input)
    {
        var buffer = Segments.Split(input, Segments.ChunkFor(input));
        while (MultistreamMessage.TryRead(ref buffer, MultistreamMessage.MaxMessageLength, out _) == OperationStatus.Done)
        {
        }
    }

    /// <summary>The Noise handshake payload protobuf.</summary>
    public static void NoisePayload(ReadOnlySpan<byte> input)
    {
        if (NoiseHandshakePayload.TryDecode(input, out var payload) != OperationStatus.Done || payload is null) return;
        byte[] again = payload.Encode();
        if (NoiseHandshakePayload.TryDecode(again, out var back) != OperationStatus.Done || back is null)
        {
            throw new FuzzInvariantException("a decoded Noise payload does not decode after encoding");
        }
    }

    /// <summary>An initiator that sent message 1 reads the input as message 2; bad input is a <see cref="NoiseException"/>.</summary>
    public static void NoiseHandshake(ReadOnlySpan<byte> input)
    {
        using var s = NoiseKeyPair.FromPrivateKey(s_initiatorStatic);
        using var e = NoiseKeyPair.FromPrivateKey(s_initiatorEphemeral);
        using var hs = new NoiseHandshakeState(initiator: true, [], s, e);
        hs.WriteMessage([]);
        try
        {
            byte[] payload = hs.ReadMessage(input);
            NoiseHandshakePayload.TryDecode(payload, out _);
        }
        catch (NoiseException)
        {
            // Documented: not a valid message 2 for this handshake.
        }
    }

    /// <summary>Transport frames (2-byte big-endian length) decrypted with a fixed key; a bad frame is a <see cref="NoiseException"/>.</summary>
    public static void NoiseTransport(ReadOnlySpan<byte> input)
    {
        var buffer = Segments.Split(input, Segments.ChunkFor(input));
        using var cipher = new NoiseCipherState();
        cipher.InitializeKey(s_transportKey);
        byte[] plain = new byte[NoiseFrame.MaxMessageLength];
        while (NoiseFrame.TryReadFrame(ref buffer, out var frame))
        {
            byte[] ciphertext = frame.ToArray();
            try
            {
                cipher.Decrypt([], ciphertext, plain);
            }
            catch (NoiseException)
            {
                // Documented: a frame shorter than its tag or with a bad tag.
                return;
            }
        }
    }

    /// <summary>yamux headers from a span, and frames from a segmented sequence.</summary>
    public static void Yamux(ReadOnlySpan<byte> input)
    {
        if (YamuxHeader.TryRead(input, out var header, out int consumed) == OperationStatus.Done)
        {
            Span<byte> again = stackalloc byte[YamuxHeader.Size];
            header.Write(again);
            if (consumed != YamuxHeader.Size || !again.SequenceEqual(input[..YamuxHeader.Size])) throw new FuzzInvariantException("yamux header round trip differs");
        }

        var buffer = Segments.Split(input, Segments.ChunkFor(input));
        while (YamuxHeader.TryReadFrame(ref buffer, MaxFrame, out _, out _) == OperationStatus.Done)
        {
        }
    }

    /// <summary>Length-prefixed RPCs; each decoded RPC must encode to bytes that decode and encode the same again.</summary>
    public static void Gossipsub(ReadOnlySpan<byte> input)
    {
        var buffer = Segments.Split(input, Segments.ChunkFor(input));
        while (RpcFraming.TryReadFrame(ref buffer, MaxFrame, out var payload) == OperationStatus.Done)
        {
            if (RpcFraming.TryDecode(payload, out var rpc) != OperationStatus.Done) continue;
            byte[] first = Encode(rpc);
            if (PubsubRpc.TryRead(first, out var again, out _) != OperationStatus.Done) throw new FuzzInvariantException("an encoded RPC does not decode");
            if (!first.AsSpan().SequenceEqual(Encode(again))) throw new FuzzInvariantException("RPC encoding is not stable");
        }

        // The whole input as one unframed RPC as well (the stream reader's view after framing).
        PubsubRpc.TryRead(input, out _, out _);
    }

    /// <summary>An identify message; when it decodes, encode and decode again.</summary>
    public static void Identify(ReadOnlySpan<byte> input)
    {
        if (IdentifyMessage.TryDecode(input, out var message) != OperationStatus.Done || message is null) return;
        byte[] first = message.Encode();
        if (IdentifyMessage.TryDecode(first, out var again) != OperationStatus.Done || again is null || !first.AsSpan().SequenceEqual(again.Encode()))
        {
            throw new FuzzInvariantException("identify encoding is not stable");
        }
    }

    /// <summary>A Kademlia message; when it decodes, encode and decode again.</summary>
    public static void Kad(ReadOnlySpan<byte> input)
    {
        if (KadMessage.TryRead(input, out var message, out _) != OperationStatus.Done || message is null) return;
        byte[] first = message.ToArray();
        if (KadMessage.TryRead(first, out var again, out _) != OperationStatus.Done || again is null || !first.AsSpan().SequenceEqual(again.ToArray()))
        {
            throw new FuzzInvariantException("kad encoding is not stable");
        }
    }

    /// <summary>An mDNS packet and the libp2p peer addresses in its answers.</summary>
    public static void Mdns(ReadOnlySpan<byte> input)
    {
        if (DnsMessage.TryRead(input, out var message, out _) != OperationStatus.Done) return;
        MdnsMessages.IsServiceQuery(message);
        MdnsMessages.ExtractPeerAddresses(message);
    }

    /// <summary>A signed peer record envelope (gossipsub PX); an opened record must name the key that signed it.</summary>
    public static void PeerRecord(ReadOnlySpan<byte> input)
    {
        if (SignedPeerRecord.TryOpen(input, out var record) != OperationStatus.Done) return;
        if (record is null || record.Addresses.Count > SignedPeerRecord.MaxAddresses) throw new FuzzInvariantException("an opened record is null or over its address bound");
    }

    private static byte[] Encode(PubsubRpc rpc)
    {
        byte[] bytes = new byte[rpc.GetSerializedLength()];
        int n = rpc.Write(bytes);
        if (n != bytes.Length) throw new FuzzInvariantException($"RPC wrote {n} bytes, announced {bytes.Length}");
        return bytes;
    }

    private static void ReadFields(ReadOnlySpan<byte> input, bool nested)
    {
        var reader = new ProtoReader(input);
        while (!reader.End)
        {
            if (reader.TryReadField(out var field) != OperationStatus.Done) return;
            if (nested && field.WireType == ProtoWireType.LengthDelimited) ReadFields(field.Bytes, nested: false);
        }
    }
}

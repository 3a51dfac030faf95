using System.Buffers;
using System.Text.Json;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Tests.Support;

namespace SlipsP2P.Libp2p.Tests.Noise;

public class NoiseVectorTests
{
    private static List<JsonElement> XxVectors()
    {
        var list = new List<JsonElement>();
        foreach (var v in Vectors.Cacophony().GetProperty("vectors").EnumerateArray())
        {
            if (v.GetProperty("protocol_name").GetString() == NoiseHandshakeState.ProtocolName) list.Add(v);
        }

        Assert.NotEmpty(list);
        return list;
    }

    [Fact]
    public void Handshake_CacophonyXxVectors_CiphertextsAndHashMatch()
    {
        foreach (var v in XxVectors())
        {
            using var iS = NoiseKeyPair.FromPrivateKey(Vectors.Hex(v, "init_static"));
            using var iE = NoiseKeyPair.FromPrivateKey(Vectors.Hex(v, "init_ephemeral"));
            using var rS = NoiseKeyPair.FromPrivateKey(Vectors.Hex(v, "resp_static"));
            using var rE = NoiseKeyPair.FromPrivateKey(Vectors.Hex(v, "resp_ephemeral"));
            using var init = new NoiseHandshakeState(true, Vectors.Hex(v, "init_prologue"), iS, iE);
            using var resp = new NoiseHandshakeState(false, Vectors.Hex(v, "resp_prologue"), rS, rE);

            var messages = v.GetProperty("messages").EnumerateArray().ToList();
            NoiseCipherState? iSend = null, iRecv = null, rSend = null, rRecv = null;
            for (int i = 0; i < messages.Count; i++)
            {
                var payload = Vectors.Hex(messages[i], "payload");
                var expected = Vectors.Hex(messages[i], "ciphertext");
                bool fromInitiator = i % 2 == 0;
                if (i < 3)
                {
                    var writer = fromInitiator ? init : resp;
                    var reader = fromInitiator ? resp : init;
                    Assert.Equal(expected, writer.WriteMessage(payload));
                    Assert.Equal(payload, reader.ReadMessage(expected));
                    if (i == 2)
                    {
                        (iSend, iRecv) = init.Split();
                        (rSend, rRecv) = resp.Split();
                        Assert.Equal(Vectors.Hex(v, "handshake_hash"), init.HandshakeHash.ToArray());
                        Assert.Equal(init.HandshakeHash.ToArray(), resp.HandshakeHash.ToArray());
                        Assert.Equal(rS.PublicKey, init.RemoteStaticKey.ToArray());
                        Assert.Equal(iS.PublicKey, resp.RemoteStaticKey.ToArray());
                    }
                }
                else
                {
                    var send = fromInitiator ? iSend! : rSend!;
                    var recv = fromInitiator ? rRecv! : iRecv!;
                    var ct = new byte[payload.Length + NoiseCipherState.TagLength];
                    send.Encrypt(ReadOnlySpan<byte>.Empty, payload, ct);
                    Assert.Equal(expected, ct);
                    var pt = new byte[payload.Length];
                    recv.Decrypt(ReadOnlySpan<byte>.Empty, ct, pt);
                    Assert.Equal(payload, pt);
                }
            }

            iSend!.Dispose();
            iRecv!.Dispose();
            rSend!.Dispose();
            rRecv!.Dispose();
        }
    }

    [Fact]
    public void ReadMessage_TamperedMessage2_ThrowsNoiseException()
    {
        var v = XxVectors()[0];
        using var iS = NoiseKeyPair.FromPrivateKey(Vectors.Hex(v, "init_static"));
        using var rS = NoiseKeyPair.FromPrivateKey(Vectors.Hex(v, "resp_static"));
        using var init = new NoiseHandshakeState(true, [], iS);
        using var resp = new NoiseHandshakeState(false, [], rS);
        resp.ReadMessage(init.WriteMessage([]));
        var m2 = resp.WriteMessage([1, 2, 3]);
        m2[40] ^= 0x01;
        Assert.Throws<NoiseException>(() => init.ReadMessage(m2));
    }

    [Fact]
    public void ReadMessage_EveryTruncationOfMessage2_ThrowsNoiseExceptionOnly()
    {
        var v = XxVectors()[0];
        using var iS = NoiseKeyPair.FromPrivateKey(Vectors.Hex(v, "init_static"));
        using var iE = NoiseKeyPair.FromPrivateKey(Vectors.Hex(v, "init_ephemeral"));
        var m2 = Vectors.Hex(v.GetProperty("messages")[1], "ciphertext");
        for (int len = 0; len < m2.Length; len++)
        {
            using var init = new NoiseHandshakeState(true, Vectors.Hex(v, "init_prologue"), iS, iE);
            init.WriteMessage(Vectors.Hex(v.GetProperty("messages")[0], "payload"));
            Assert.Throws<NoiseException>(() => init.ReadMessage(m2.AsSpan(0, len)));
        }
    }

    [Fact]
    public void Payload_JsVector_EncodesAndVerifies()
    {
        var v = Vectors.Js();
        var noise = v.GetProperty("noise");
        using var identity = Ed25519KeyPair.FromSeed(Vectors.Hex(v.GetProperty("peerId"), "seedHex"));
        using var stat = NoiseKeyPair.FromPrivateKey(Vectors.Hex(noise, "staticPrivate"));
        Assert.Equal(Vectors.Hex(noise, "staticPublic"), stat.PublicKey);

        var payload = NoiseSecureChannel.CreatePayload(identity, stat.PublicKey);
        Assert.Equal(Vectors.Hex(noise, "handshakePayload"), payload.Encode());

        Assert.Equal(OperationStatus.Done, NoiseHandshakePayload.TryDecode(Vectors.Hex(noise, "handshakePayload"), out var decoded));
        var (key, peer) = NoiseSecureChannel.Verify(decoded!, stat.PublicKey, identity.PeerId);
        Assert.Equal(identity.PublicKey, key);
        Assert.Equal(identity.PeerId, peer);

        // Signature over a different static key, or a different expected peer, must fail.
        var other = (byte[])stat.PublicKey.Clone();
        other[0] ^= 1;
        Assert.Throws<NoiseException>(() => NoiseSecureChannel.Verify(decoded!, other, null));
        using var stranger = Ed25519KeyPair.Generate();
        Assert.Throws<NoiseException>(() => NoiseSecureChannel.Verify(decoded!, stat.PublicKey, stranger.PeerId));
    }

    [Fact]
    public void Payload_WithMuxerExtensions_RoundTrips()
    {
        var p = new NoiseHandshakePayload([1, 2], [3], ["/yamux/1.0.0"]);
        Assert.Equal(OperationStatus.Done, NoiseHandshakePayload.TryDecode(p.Encode(), out var back));
        Assert.Equal(["/yamux/1.0.0"], back!.StreamMuxers);
        Assert.Equal(OperationStatus.InvalidData, NoiseHandshakePayload.TryDecode([0x0a, 0x05, 1], out _));
    }

    [Fact]
    public void TryReadFrame_AllSegmentations_ExtractsFrame()
    {
        var frame = Convert.FromHexString("0005" + "0102030405");
        foreach (var (name, seq, guard) in Segments.Variants(frame))
        {
            var buffer = seq;
            Assert.True(NoiseFrame.TryReadFrame(ref buffer, out var msg), name);
            Assert.Equal("0102030405", Convert.ToHexStringLower(msg.ToArray()));
            Assert.Equal(guard, buffer.Length);
        }

        for (int i = 0; i < frame.Length; i++)
        {
            var partial = new ReadOnlySequence<byte>(frame, 0, i);
            Assert.False(NoiseFrame.TryReadFrame(ref partial, out _));
        }
    }
}

using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

public sealed class SigningTests
{
    [Fact]
    public void CreateSigned_AliceHelloSeqno1_MatchesJsSignatureAndEncoding()
    {
        var v = GossipsubVectors.Load();
        using var alice = Ed25519KeyPair.FromSeed(v.Seed);

        var m = PubsubSigning.CreateSigned(alice, GossipsubVectors.Topic, "hello"u8, 1, includeKey: false);

        Assert.Equal(v.SigningInput, PubsubSigning.GetSigningInput(m));
        Assert.Equal(v.Signature, m.Signature);
        var rpc = new PubsubRpc();
        rpc.Publish.Add(m);
        Assert.Equal(v.RpcWithOneMessage, rpc.ToArray());
    }

    [Fact]
    public void CreateSigned_WithKey_KeyIsPublicKeyProtobufAndVerifies()
    {
        var v = GossipsubVectors.Load();
        using var alice = Ed25519KeyPair.FromSeed(v.Seed);

        var m = PubsubSigning.CreateSigned(alice, GossipsubVectors.Topic, "hello"u8, 1);

        Assert.Equal(v.PublicKeyProtobuf, m.Key);
        Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(m, out var author));
        Assert.Equal(alice.PeerId, author);
    }

    [Fact]
    public void Verify_JsSignedRpc_Valid()
    {
        var v = GossipsubVectors.Load();
        Assert.Equal(OperationStatus.Done, PubsubRpc.TryRead(v.RpcWithOneMessage, out var rpc, out _));

        Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(rpc.Publish[0], out var author));
        Assert.Equal("12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm", author!.ToString());
    }

    [Fact]
    public void Verify_TamperedFields_Rejected()
    {
        var v = GossipsubVectors.Load();
        using var alice = Ed25519KeyPair.FromSeed(v.Seed);
        using var bob = Ed25519KeyPair.FromSeed(new byte[32]);

        var data = PubsubSigning.CreateSigned(alice, "t", "x"u8, 5);
        data.Data = "y"u8.ToArray();
        var topic = PubsubSigning.CreateSigned(alice, "t", "x"u8, 5);
        topic.Topic = "u";
        var seq = PubsubSigning.CreateSigned(alice, "t", "x"u8, 5);
        seq.Seqno = [0, 0, 0, 0, 0, 0, 5];
        var key = PubsubSigning.CreateSigned(alice, "t", "x"u8, 5);
        key.Key = bob.PublicKey.ToProtobuf();
        var noSig = PubsubSigning.CreateSigned(alice, "t", "x"u8, 5);
        noSig.Signature = null;
        var badFrom = PubsubSigning.CreateSigned(alice, "t", "x"u8, 5);
        badFrom.From = [1, 2, 3];

        Assert.Equal(SignatureStatus.InvalidSignature, PubsubSigning.Verify(data, out _));
        Assert.Equal(SignatureStatus.InvalidSignature, PubsubSigning.Verify(topic, out _));
        Assert.Equal(SignatureStatus.InvalidSeqno, PubsubSigning.Verify(seq, out _));
        Assert.Equal(SignatureStatus.InvalidKey, PubsubSigning.Verify(key, out _));
        Assert.Equal(SignatureStatus.MissingFields, PubsubSigning.Verify(noSig, out _));
        Assert.Equal(SignatureStatus.InvalidFrom, PubsubSigning.Verify(badFrom, out _));
    }

    [Fact]
    public void Verify_EmptyDataRoundTrip_PresenceKeptAndValid()
    {
        using var alice = Ed25519KeyPair.FromSeed(new byte[32]);
        var m = PubsubSigning.CreateSigned(alice, "t", ReadOnlySpan<byte>.Empty, 7);
        var rpc = new PubsubRpc();
        rpc.Publish.Add(m);

        Assert.Equal(OperationStatus.Done, PubsubRpc.TryRead(rpc.ToArray(), out var back, out _));

        Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(back.Publish[0], out _));
        // dropping present-but-empty data changes the signed bytes
        back.Publish[0].Data = null;
        Assert.Equal(SignatureStatus.InvalidSignature, PubsubSigning.Verify(back.Publish[0], out _));
    }

    [Fact]
    public void MessageIds_JsVectors_Match()
    {
        var v = GossipsubVectors.Load();
        Assert.Equal(OperationStatus.Done, PubsubRpc.TryRead(v.RpcWithOneMessage, out var rpc, out _));

        Assert.Equal(v.MsgIdJsDefault, MessageIds.JsDefault(rpc.Publish[0]).Bytes);
        Assert.Equal(v.MsgIdFromSeqno, MessageIds.FromSeqno(rpc.Publish[0]).Bytes);
    }

    [Fact]
    public void SeqnoGenerator_SeededFromClock_MonotonicAndNanoseconds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        var gen = new SeqnoGenerator(time);

        ulong a = gen.Next();
        ulong b = gen.Next();

        ulong expected = (ulong)(time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        Assert.Equal(expected + 1, a);
        Assert.Equal(a + 1, b);
    }
}

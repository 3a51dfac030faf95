using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Gossipsub.Router;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

/// <summary>
/// Received messages are verified in parallel batches; what the router does with them (deliver, forward, score)
/// must still follow each peer's arrival order, and the verified-author cache must never change a verdict.
/// </summary>
public sealed class VerificationOrderTests
{
    private const string Topic = "slips/order/1";

    [Fact]
    public async Task HandleRpc_BurstVerifiedByFourWorkers_DeliveredAndForwardedInArrivalOrder()
    {
        // Arrange: x sends 1,200 signed messages in RPCs of 1 to 17 messages; one in 100 has a broken signature.
        await using var net = new InProcessNetwork();
        var r = net.AddRouter(new GossipsubOptions { VerificationWorkers = 4 });
        var sub = r.Router.Subscribe(Topic);
        var x = net.AddRawPeer();
        var y = net.AddRawPeer();
        await net.JoinAsync(r, Topic, x, y);
        y.Clear();
        var expected = new List<ulong>();
        var rpc = new PubsubRpc();
        for (ulong seq = 1; seq <= 1200; seq++)
        {
            var m = PubsubSigning.CreateSigned(x.Key, Topic, BitConverter.GetBytes(seq), seq);
            if (seq % 100 == 50) m.Data = [1, 2, 3];
            else expected.Add(seq);
            rpc.Publish.Add(m);
            if (rpc.Publish.Count == (int)(seq % 17) + 1)
            {
                x.Send(r, rpc);
                rpc = new PubsubRpc();
            }
        }

        if (rpc.Publish.Count > 0) x.Send(r, rpc);

        // Act
        await net.SettleAsync();

        // Assert
        var delivered = new List<ulong>();
        while (sub.Messages.TryRead(out var received)) delivered.Add(Seqno(received.Message));
        Assert.Equal(expected, delivered);
        Assert.Equal(expected, y.Messages.Select(Seqno).ToList());
        Assert.Equal(12, r.Router.Counters.Invalid);
    }

    [Fact]
    public void Verify_AuthorCached_TamperedMessagesStillRejectedAndEquivalentKeyAccepted()
    {
        using var alice = Ed25519KeyPair.Generate();
        using var bob = Ed25519KeyPair.Generate();
        Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(PubsubSigning.CreateSigned(alice, "t", "first"u8, 1), out var first));
        Assert.Equal(alice.PeerId, first);

        var data = PubsubSigning.CreateSigned(alice, "t", "x"u8, 2);
        data.Data = "y"u8.ToArray();
        var foreignKey = PubsubSigning.CreateSigned(alice, "t", "x"u8, 3);
        foreignKey.Key = bob.PublicKey.ToProtobuf();
        var seq = PubsubSigning.CreateSigned(alice, "t", "x"u8, 4);
        seq.Seqno = [0, 0, 4];
        var noKey = PubsubSigning.CreateSigned(alice, "t", "x"u8, 5, includeKey: false);
        // The same key with an unknown field appended: not byte-equal to the cached encoding, so it takes the full
        // path, which ignores unknown fields and accepts it, exactly as without the cache.
        var longKey = PubsubSigning.CreateSigned(alice, "t", "x"u8, 6);
        longKey.Key = [.. alice.PublicKey.ToProtobuf(), 0x18, 0x01];
        var bobsOwn = PubsubSigning.CreateSigned(bob, "t", "x"u8, 7);
        bobsOwn.From = alice.PeerId.ToByteArray();

        Assert.Equal(SignatureStatus.InvalidSignature, PubsubSigning.Verify(data, out _));
        Assert.Equal(SignatureStatus.InvalidKey, PubsubSigning.Verify(foreignKey, out _));
        Assert.Equal(SignatureStatus.InvalidSeqno, PubsubSigning.Verify(seq, out _));
        Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(noKey, out var noKeyAuthor));
        Assert.Equal(alice.PeerId, noKeyAuthor);
        Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(longKey, out _));
        Assert.Equal(SignatureStatus.InvalidKey, PubsubSigning.Verify(bobsOwn, out _));
    }

    [Fact]
    public void Verify_AuthorCached_ValidMessageSharesTheAuthorsFromAndKeyBytes()
    {
        using var carol = Ed25519KeyPair.Generate();
        var a = PubsubSigning.CreateSigned(carol, "t", "a"u8, 1);
        var b = PubsubSigning.CreateSigned(carol, "t", "b"u8, 2);

        Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(a, out _));
        Assert.Equal(SignatureStatus.Valid, PubsubSigning.Verify(b, out _));

        Assert.Same(a.From, b.From);
        Assert.Same(a.Key, b.Key);
        Assert.Equal(carol.PeerId.ToByteArray(), b.From);
    }

    [Fact]
    public void ExpiryQueue_AcrossChunks_FirstInFirstOutAndReusable()
    {
        var q = new ExpiryQueue<int>();
        int next = 0;
        int head = 0;
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 2500; i++, next++) q.Enqueue(next, next * 10L);
            for (int i = 0; i < 1800; i++, head++)
            {
                Assert.True(q.TryPeek(out var item));
                Assert.Equal((head, head * 10L), (item.Key, item.Expires));
                q.Dequeue();
            }
        }

        Assert.Equal(next - head, q.Count);
        q.Clear();
        Assert.False(q.TryPeek(out _));
        Assert.Throws<InvalidOperationException>(q.Dequeue);
        q.Enqueue(7, 70);
        Assert.True(q.TryPeek(out var again));
        Assert.Equal(7, again.Key);
    }

    [Fact]
    public void TryRead_SameTopicTwice_OneStringInstance()
    {
        using var dave = Ed25519KeyPair.Generate();
        var rpc = new PubsubRpc();
        rpc.Publish.Add(PubsubSigning.CreateSigned(dave, "same/topic", "1"u8, 1));
        rpc.Publish.Add(PubsubSigning.CreateSigned(dave, "same/topic", "2"u8, 2));
        rpc.Publish.Add(PubsubSigning.CreateSigned(dave, "other/tópico", "3"u8, 3));

        Assert.Equal(System.Buffers.OperationStatus.Done, PubsubRpc.TryRead(rpc.ToArray(), out var back, out _));

        Assert.Same(back.Publish[0].Topic, back.Publish[1].Topic);
        Assert.Equal("same/topic", back.Publish[1].Topic);
        Assert.Equal("other/tópico", back.Publish[2].Topic);
    }

    private static ulong Seqno(PubsubMessage m) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(m.Seqno);
}

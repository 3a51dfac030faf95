using System.Buffers;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

public sealed class RpcCodecTests
{
    private static PubsubRpc SampleRpc()
    {
        var rpc = new PubsubRpc();
        rpc.Subscriptions.Add(new SubOpts { Subscribe = true, Topic = "a" });
        rpc.Subscriptions.Add(new SubOpts { Subscribe = false, Topic = "b" });
        rpc.Publish.Add(new PubsubMessage { From = [0, 1, 2], Data = [], Seqno = new byte[8], Topic = "a", Signature = new byte[64], Key = [9] });
        var control = new ControlMessage();
        var ihave = new ControlIHave { TopicId = "a" };
        ihave.MessageIds.Add([1, 2, 3]);
        ihave.MessageIds.Add([]);
        control.IHave.Add(ihave);
        var iwant = new ControlIWant();
        iwant.MessageIds.Add([4, 5]);
        control.IWant.Add(iwant);
        control.Graft.Add(new ControlGraft { TopicId = "g" });
        var prune = new ControlPrune { TopicId = "p", Backoff = 60 };
        prune.Peers.Add(new PeerInfo { PeerId = [7, 7], SignedPeerRecord = [8] });
        prune.Peers.Add(new PeerInfo());
        control.Prune.Add(prune);
        var idw = new ControlIDontWant();
        idw.MessageIds.Add([6]);
        control.IDontWant.Add(idw);
        rpc.Control = control;
        return rpc;
    }

    [Fact]
    public void TryRead_JsRpcWithOneMessage_DecodesFieldsAndPresence()
    {
        var v = GossipsubVectors.Load();

        var status = PubsubRpc.TryRead(v.RpcWithOneMessage, out var rpc, out int consumed);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(v.RpcWithOneMessage.Length, consumed);
        var m = Assert.Single(rpc.Publish);
        Assert.Equal(v.PeerIdMultihash, m.From);
        Assert.Equal("hello"u8.ToArray(), m.Data);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 1 }, m.Seqno);
        Assert.Equal(GossipsubVectors.Topic, m.Topic);
        Assert.Equal(v.Signature, m.Signature);
        Assert.Null(m.Key);
        Assert.Null(rpc.Control);
    }

    [Fact]
    public void Write_JsVectors_ByteIdenticalOnDirtyBuffer()
    {
        var v = GossipsubVectors.Load();
        foreach (var vector in new[] { v.RpcWithOneMessage, v.SubscribeRpc, v.GraftRpc })
        {
            Assert.Equal(OperationStatus.Done, PubsubRpc.TryRead(vector, out var rpc, out _));
            var dirty = new byte[rpc.GetSerializedLength() + 8];
            dirty.AsSpan().Fill(0xFF);

            int written = rpc.Write(dirty);

            Assert.Equal(vector.Length, written);
            Assert.Equal(vector, dirty[..written]);
            Assert.All(dirty[written..], b => Assert.Equal(0xFF, b));
        }
    }

    [Fact]
    public void TryRead_SubscribeAndGraftVectors_DecodeToExpectedElements()
    {
        var v = GossipsubVectors.Load();

        Assert.Equal(OperationStatus.Done, PubsubRpc.TryRead(v.SubscribeRpc, out var sub, out _));
        Assert.Equal(OperationStatus.Done, PubsubRpc.TryRead(v.GraftRpc, out var graft, out _));

        var s = Assert.Single(sub.Subscriptions);
        Assert.True(s.Subscribe);
        Assert.Equal(GossipsubVectors.Topic, s.Topic);
        Assert.Equal(GossipsubVectors.Topic, Assert.Single(graft.Control!.Graft).TopicId);
    }

    [Fact]
    public void WriteThenTryRead_AllElements_RoundTrip()
    {
        var rpc = SampleRpc();
        byte[] bytes = rpc.ToArray();

        Assert.Equal(OperationStatus.Done, PubsubRpc.TryRead(bytes, out var back, out _));

        Assert.Equal(bytes, back.ToArray());
        Assert.Equal(2, back.Subscriptions.Count);
        Assert.False(back.Subscriptions[1].Subscribe);
        var m = back.Publish[0];
        Assert.NotNull(m.Data);
        Assert.Empty(m.Data);
        Assert.Equal(2, back.Control!.IHave[0].MessageIds.Count);
        Assert.Equal(60UL, back.Control.Prune[0].Backoff);
        Assert.Equal([7, 7], back.Control.Prune[0].Peers[0].PeerId);
        Assert.Null(back.Control.Prune[0].Peers[1].PeerId);
        Assert.Equal([6], back.Control.IDontWant[0].MessageIds[0]);
    }

    [Fact]
    public void TryRead_EmptyDataPresent_KeptDistinctFromAbsent()
    {
        var present = new PubsubMessage { Data = [], Topic = "t" };
        var absent = new PubsubMessage { Topic = "t" };
        var pb = new byte[present.GetSerializedLength()];
        present.Write(pb);
        var ab = new byte[absent.GetSerializedLength()];
        absent.Write(ab);

        Assert.Equal(OperationStatus.Done, PubsubMessage.TryRead(pb, out var p, out _));
        Assert.Equal(OperationStatus.Done, PubsubMessage.TryRead(ab, out var a, out _));

        Assert.Equal(new byte[] { 0x12, 0x00 }, pb[..2]);
        Assert.NotNull(p.Data);
        Assert.Null(a.Data);
    }

    [Fact]
    public void TryRead_EveryTruncation_NeverThrows()
    {
        var bytes = SampleRpc().ToArray();
        for (int i = 0; i < bytes.Length; i++)
        {
            var status = PubsubRpc.TryRead(bytes.AsSpan(0, i), out _, out _);
            Assert.True(status is OperationStatus.Done or OperationStatus.InvalidData, $"length {i}: {status}");
        }
    }

    [Fact]
    public void TryRead_WrongWireTypeForKnownField_InvalidData()
    {
        // field 2 (publish) encoded as a varint
        Assert.Equal(OperationStatus.InvalidData, PubsubRpc.TryRead([0x10, 0x01], out _, out _));
        // Message.from as a varint
        Assert.Equal(OperationStatus.InvalidData, PubsubMessage.TryRead([0x08, 0x01], out _, out _));
        // length running past the end
        Assert.Equal(OperationStatus.InvalidData, PubsubRpc.TryRead([0x12, 0x05, 0x01], out _, out _));
    }

    [Fact]
    public void TryRead_UnknownFields_Skipped()
    {
        // RPC field 9 (varint) then a subscribe
        var v = GossipsubVectors.Load();
        byte[] bytes = [0x48, 0x01, .. v.SubscribeRpc];

        Assert.Equal(OperationStatus.Done, PubsubRpc.TryRead(bytes, out var rpc, out _));
        Assert.Single(rpc.Subscriptions);
    }

    public static TheoryData<string> Variants => new() { "right-sized", "guard-bytes", "split-every-offset", "one-byte-segments" };

    [Theory]
    [MemberData(nameof(Variants))]
    public void TryReadFrame_JsLengthPrefixedRpc_SegmentationVariants(string variant)
    {
        var v = GossipsubVectors.Load();
        byte[] framed = v.LengthPrefixedRpc;
        byte[] guard = [0xEE, 0xEE, 0xEE];
        var inputs = new List<(ReadOnlySequence<byte> Seq, long Remaining)>();
        switch (variant)
        {
            case "right-sized":
                inputs.Add((Segments.Of(framed), 0));
                break;
            case "guard-bytes":
                inputs.Add((Segments.Of([.. framed, .. guard]), guard.Length));
                break;
            case "split-every-offset":
                for (int i = 1; i < framed.Length; i++) inputs.Add((Segments.SplitAt(framed, i), 0));
                break;
            default:
                inputs.Add((Segments.OneBytePerSegment(framed), 0));
                break;
        }

        foreach (var (seq, remaining) in inputs)
        {
            var buffer = seq;
            var status = RpcFraming.TryReadFrame(ref buffer, RpcFraming.DefaultMaxRpcSize, out var payload);

            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(remaining, buffer.Length);
            Assert.Equal(v.RpcWithOneMessage, payload.ToArray());
            Assert.Equal(OperationStatus.Done, RpcFraming.TryDecode(payload, out var rpc));
            Assert.Equal(v.Signature, rpc.Publish[0].Signature);
        }
    }

    [Fact]
    public void TryReadFrame_EveryTruncation_NeedMoreDataAndBufferUntouched()
    {
        var framed = GossipsubVectors.Load().LengthPrefixedRpc;
        for (int i = 0; i < framed.Length; i++)
        {
            var buffer = Segments.Of(framed[..i]);
            Assert.Equal(OperationStatus.NeedMoreData, RpcFraming.TryReadFrame(ref buffer, RpcFraming.DefaultMaxRpcSize, out _));
            Assert.Equal(i, buffer.Length);
        }
    }

    [Fact]
    public void TryReadFrame_LengthOverMax_InvalidDataBeforeBuffering()
    {
        // prefix announces 2 MiB, only the prefix has arrived
        byte[] prefix = [0x80, 0x80, 0x80, 0x01];
        var buffer = Segments.Of(prefix);

        Assert.Equal(OperationStatus.InvalidData, RpcFraming.TryReadFrame(ref buffer, RpcFraming.DefaultMaxRpcSize, out _));
    }

    [Fact]
    public void TryReadFrame_TenContinuationBytes_InvalidData()
    {
        var buffer = Segments.Of(Enumerable.Repeat((byte)0xFF, 10).ToArray());

        Assert.Equal(OperationStatus.InvalidData, RpcFraming.TryReadFrame(ref buffer, int.MaxValue, out _));
    }

    [Fact]
    public void WriteFrame_SampleRpc_ReadsBackWithFraming()
    {
        var rpc = SampleRpc();
        var framed = new byte[RpcFraming.GetFramedLength(rpc)];
        framed.AsSpan().Fill(0xFF);

        int n = RpcFraming.WriteFrame(rpc, framed);
        var buffer = Segments.OneBytePerSegment(framed);

        Assert.Equal(framed.Length, n);
        Assert.Equal(OperationStatus.Done, RpcFraming.TryReadFrame(ref buffer, 1024, out var payload));
        Assert.Equal(rpc.ToArray(), payload.ToArray());
    }
}

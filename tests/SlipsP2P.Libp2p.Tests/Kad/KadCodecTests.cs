using System.Buffers;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery.Kad;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Tests.Kad;

public sealed class KadCodecTests
{
    private static PeerId NewPeer()
    {
        using var k = Ed25519KeyPair.Generate();
        return k.PeerId;
    }

    [Fact]
    public void TryRead_FindNodeRequestHandEncoded_DecodesTypeAndKey()
    {
        // type=4 (FIND_NODE), key=0x01 0x02 0x03: 08 04 12 03 01 02 03
        var st = KadMessage.TryRead([0x08, 0x04, 0x12, 0x03, 0x01, 0x02, 0x03], out var m, out int consumed);
        Assert.Equal(OperationStatus.Done, st);
        Assert.Equal(7, consumed);
        Assert.Equal(KadMessageType.FindNode, m!.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, m.Key);
    }

    [Fact]
    public void ToArray_ResponseWithCloserPeers_RoundTrips()
    {
        var p1 = NewPeer();
        var p2 = NewPeer();
        var m = new KadMessage { Type = KadMessageType.FindNode, Key = p1.ToByteArray() };
        m.CloserPeers.Add(new KadPeer(p1, [Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001"), Multiaddr.Parse("/ip6/::1/tcp/4002")], KadConnectionType.Connected));
        m.CloserPeers.Add(new KadPeer(p2, [], KadConnectionType.NotConnected));

        var bytes = m.ToArray();
        Assert.Equal(OperationStatus.Done, KadMessage.TryRead(bytes, out var back, out _));

        Assert.Equal(KadMessageType.FindNode, back!.Type);
        Assert.Equal(p1.ToByteArray(), back.Key);
        Assert.Equal(2, back.CloserPeers.Count);
        Assert.Equal(p1, back.CloserPeers[0].Peer);
        Assert.Equal(["/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/4002"], back.CloserPeers[0].Addresses.Select(a => a.ToString()));
        Assert.Equal(KadConnectionType.Connected, back.CloserPeers[0].Connection);
        Assert.Equal(p2, back.CloserPeers[1].Peer);
        Assert.Empty(back.CloserPeers[1].Addresses);
    }

    [Fact]
    public void TryRead_EveryTruncation_NeverThrows()
    {
        var m = new KadMessage { Type = KadMessageType.FindNode, Key = [1, 2, 3] };
        m.CloserPeers.Add(new KadPeer(NewPeer(), [Multiaddr.Parse("/ip4/10.0.0.1/tcp/1")], KadConnectionType.CanConnect));
        var bytes = m.ToArray();
        for (int n = 0; n < bytes.Length; n++)
        {
            var st = KadMessage.TryRead(bytes.AsSpan(0, n), out _, out _);
            Assert.True(st is OperationStatus.Done or OperationStatus.InvalidData);
        }
    }

    [Fact]
    public void TryRead_BadPeerIdOrType_InvalidData()
    {
        // closerPeers[0].id = 0xFF (not a multihash)
        Assert.Equal(OperationStatus.InvalidData, KadMessage.TryRead([0x08, 0x04, 0x42, 0x03, 0x0a, 0x01, 0xFF], out _, out _));
        // type 9 does not exist
        Assert.Equal(OperationStatus.InvalidData, KadMessage.TryRead([0x08, 0x09], out _, out _));
        // oversized
        Assert.Equal(OperationStatus.InvalidData, KadMessage.TryRead(new byte[KadMessage.MaxSize + 1], out _, out _));
    }

    [Fact]
    public void Closest_ManyPeers_MatchesBruteForceXorOrder()
    {
        var self = NewPeer();
        var table = new RoutingTable(self, bucketSize: 20);
        var peers = Enumerable.Range(0, 60).Select(_ => NewPeer()).ToList();
        foreach (var p in peers) table.TryAdd(p, [Multiaddr.Parse("/ip4/127.0.0.1/tcp/1")], DateTimeOffset.UnixEpoch);
        var target = KadKey.FromKey([9, 9, 9]);

        var closest = table.Closest(target, 5);

        var inTable = table.Snapshot().Select(e => e.Peer).ToList();
        var expected = inTable.OrderBy(p => KadKey.FromPeer(p).Xor(target), Comparer<KadKey>.Create((x, y) => x.CompareTo(y))).Take(5).ToList();
        Assert.Equal(expected, closest.Select(e => e.Peer));
    }

    [Fact]
    public void TryAdd_FullBucket_KeepsOldPeersAndRejectsNew()
    {
        var self = NewPeer();
        var table = new RoutingTable(self, bucketSize: 2);
        // Fill bucket 0 (peers whose first bit differs from ours: about half of random peers).
        var inBucket0 = new List<PeerId>();
        while (inBucket0.Count < 3)
        {
            var p = NewPeer();
            if (table.BucketIndex(KadKey.FromPeer(p)) == 0) inBucket0.Add(p);
        }

        Assert.True(table.TryAdd(inBucket0[0], [], DateTimeOffset.UnixEpoch));
        Assert.True(table.TryAdd(inBucket0[1], [], DateTimeOffset.UnixEpoch));
        Assert.False(table.TryAdd(inBucket0[2], [], DateTimeOffset.UnixEpoch));
        Assert.False(table.TryAdd(self, [], DateTimeOffset.UnixEpoch));
        Assert.True(table.TryAdd(inBucket0[0], [], DateTimeOffset.UnixEpoch), "refreshing a known peer succeeds");
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void LeadingZeros_Distances_CountCommonPrefix()
    {
        var a = KadKey.FromHash(new byte[32]);
        var b = new byte[32];
        b[1] = 0x10; // bit 11
        Assert.Equal(11, a.Xor(KadKey.FromHash(b)).LeadingZeros());
        Assert.Equal(256, a.Xor(a).LeadingZeros());
    }
}

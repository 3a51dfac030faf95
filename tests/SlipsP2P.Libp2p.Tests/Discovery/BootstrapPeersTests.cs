using Microsoft.Extensions.Time.Testing;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Tests.Discovery;

public sealed class BootstrapPeersTests : IDisposable
{
    private const string Alice = "12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm";
    private readonly string _dir = Directory.CreateTempSubdirectory("slips-bootstrap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Parse_CommentsBlanksAndBadLines_GoodLinesKeptBadReportedWithLine()
    {
        string text = $"""
            # lab peers
            /ip4/127.0.0.1/tcp/4001/p2p/{Alice}

               /ip6/::1/tcp/4002/p2p/{Alice}   # trailing comment
            /ip4/127.0.0.1/tcp/4003
            not-a-multiaddr
            /p2p/{Alice}
            /ip4/300.0.0.1/tcp/1/p2p/{Alice}
            """;
        var errors = new List<DiscoveryInputError>();

        var peers = BootstrapPeers.Parse(text, "lab.txt", errors);

        Assert.Equal(2, peers.Count);
        Assert.All(peers, p => Assert.Equal(Alice, p.Peer.ToString()));
        Assert.Equal("/ip6/::1/tcp/4002/p2p/" + Alice, peers[1].Address.ToString());
        Assert.Equal([5, 6, 7, 8], errors.Select(e => e.Line));
        Assert.All(errors, e => Assert.StartsWith("lab.txt:", e.ToString(), StringComparison.Ordinal));
        Assert.Contains("/p2p", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Folder_ReadsTxtFilesInOrderAndDeduplicates()
    {
        File.WriteAllText(Path.Combine(_dir, "b.txt"), $"/ip4/10.0.0.2/tcp/1/p2p/{Alice}\n/ip4/10.0.0.1/tcp/1/p2p/{Alice}\n");
        File.WriteAllText(Path.Combine(_dir, "a.txt"), $"/ip4/10.0.0.1/tcp/1/p2p/{Alice}\nbad\n");
        File.WriteAllText(Path.Combine(_dir, "ignored.md"), "garbage");
        var errors = new List<DiscoveryInputError>();

        var peers = BootstrapPeers.Load(_dir, errors);

        Assert.Equal(["/ip4/10.0.0.1/tcp/1/p2p/" + Alice, "/ip4/10.0.0.2/tcp/1/p2p/" + Alice], peers.Select(p => p.Address.ToString()));
        var e = Assert.Single(errors);
        Assert.Equal(Path.Combine(_dir, "a.txt"), e.File);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Load_MissingPath_ReportedNotThrown()
    {
        var errors = new List<DiscoveryInputError>();

        var peers = BootstrapPeers.Load(Path.Combine(_dir, "nope"), errors);

        Assert.Empty(peers);
        Assert.Contains("no such file", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PeerStore_SaveThenLoad_PeersAddressesAndLastSeenSurviveRestart()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
        string path = Path.Combine(_dir, "peers.json");
        using var k1 = Ed25519KeyPair.Generate();
        using var k2 = Ed25519KeyPair.Generate();
        var store = new PeerStore(path, time);
        store.AddOrUpdate(k1.PeerId, [Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001"), Multiaddr.Parse("/ip4/127.0.0.1/tcp/4002/p2p/" + k1.PeerId)]);
        time.Advance(TimeSpan.FromMinutes(5));
        store.AddOrUpdate(k2.PeerId, [Multiaddr.Parse("/ip6/::1/tcp/9")]);
        store.Save();

        var reloaded = new PeerStore(path, time);
        var errors = new List<DiscoveryInputError>();
        reloaded.Load(errors);

        Assert.Empty(errors);
        var peers = reloaded.Snapshot();
        Assert.Equal([k2.PeerId, k1.PeerId], peers.Select(p => p.Peer));
        Assert.Equal(["/ip4/127.0.0.1/tcp/4002", "/ip4/127.0.0.1/tcp/4001"], peers[1].Addresses.Select(a => a.ToString()));
        Assert.Equal(time.GetUtcNow(), peers[0].LastSeen);
        Assert.Equal(time.GetUtcNow().AddMinutes(-5), peers[1].LastSeen);
    }

    [Fact]
    public void PeerStore_CorruptJson_ErrorNamesFileAndLine()
    {
        string path = Path.Combine(_dir, "peers.json");
        File.WriteAllText(path, "{\n  \"peers\": [\n    { \"id\": \n");
        var store = new PeerStore(path);
        var errors = new List<DiscoveryInputError>();

        store.Load(errors);

        var e = Assert.Single(errors);
        Assert.Equal(path, e.File);
        Assert.True(e.Line >= 3, e.ToString());
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void PeerStore_BadEntries_SkippedAndReportedGoodKept()
    {
        string path = Path.Combine(_dir, "peers.json");
        File.WriteAllText(path, $$"""
            { "version": 1, "peers": [
              { "id": "nonsense", "addrs": [] },
              { "id": "{{Alice}}", "addrs": ["/ip4/1.2.3.4/tcp/5"], "lastSeen": "2026-01-01T00:00:00+00:00" },
              { "id": "{{Alice}}", "addrs": ["/bogus/1"] },
              42
            ] }
            """);
        var store = new PeerStore(path);
        var errors = new List<DiscoveryInputError>();

        store.Load(errors);

        Assert.Equal(3, errors.Count);
        Assert.Contains("peers[0]", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("peers[2]", errors[1].Message, StringComparison.Ordinal);
        var p = Assert.Single(store.Snapshot());
        Assert.Equal("/ip4/1.2.3.4/tcp/5", Assert.Single(p.Addresses).ToString());
    }

    [Fact]
    public void PeerStore_OverCapacity_LeastRecentlySeenDropped()
    {
        var time = new FakeTimeProvider();
        var store = new PeerStore(Path.Combine(_dir, "p.json"), time, maxPeers: 2);
        var keys = Enumerable.Range(0, 3).Select(_ => Ed25519KeyPair.Generate()).ToList();
        foreach (var k in keys)
        {
            store.AddOrUpdate(k.PeerId, [Multiaddr.Parse("/ip4/127.0.0.1/tcp/1")]);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([keys[2].PeerId, keys[1].PeerId], store.Snapshot().Select(p => p.Peer));
        foreach (var k in keys) k.Dispose();
    }
}

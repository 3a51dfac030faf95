using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

/// <summary>
/// Real routers (and raw protocol peers) wired in process: every RPC is encoded, length-framed and decoded on the
/// way, so the links exercise the codec; time is one FakeTimeProvider driven by the test.
/// </summary>
internal sealed class InProcessNetwork : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<RouterNode> _routers = [];
    private readonly Dictionary<PeerId, IEndpoint> _endpoints = [];
    private readonly Lock _lock = new();
    private long _deliveriesStarted;
    private long _deliveriesFinished;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    public IReadOnlyList<RouterNode> Routers => _routers;

    public int LinkCount { get; private set; }

    /// <summary>All in-process peers share 127.0.0.1; exempt it from P6 unless a test checks P6 itself (brief §10.6).</summary>
    public bool WhitelistLoopback { get; set; } = true;

    public RouterNode AddRouter(GossipsubOptions? options = null)
    {
        options ??= new GossipsubOptions { VerificationWorkers = 2 };
        if (WhitelistLoopback) options.Score.IPColocationFactorWhitelist.Add(IPAddress.Loopback);
        var node = new RouterNode(this, Ed25519KeyPair.Generate(), options);
        lock (_lock)
        {
            _routers.Add(node);
            _endpoints[node.Id] = node;
        }

        node.Router.Start();
        return node;
    }

    public RawPeer AddRawPeer()
    {
        var peer = new RawPeer(this, Ed25519KeyPair.Generate());
        lock (_lock) _endpoints[peer.Id] = peer;
        return peer;
    }

    /// <summary>Connects two endpoints; <paramref name="a"/> is the dialer (outbound on a's side).</summary>
    public void Connect(IEndpoint a, IEndpoint b, PubsubProtocol protocol = PubsubProtocol.Meshsub11)
    {
        lock (_lock) LinkCount++;
        a.Added(b.Id, protocol, outbound: true);
        b.Added(a.Id, protocol, outbound: false);
    }

    public void Disconnect(IEndpoint a, IEndpoint b)
    {
        lock (_lock) LinkCount--;
        a.Removed(b.Id);
        b.Removed(a.Id);
    }

    internal void Deliver(PeerId from, PeerId to, PubsubRpc rpc)
    {
        IEndpoint? target;
        lock (_lock) _endpoints.TryGetValue(to, out target);
        if (target is null) return;
        Interlocked.Increment(ref _deliveriesStarted);
        try
        {
            var framed = new byte[RpcFraming.GetFramedLength(rpc)];
            RpcFraming.WriteFrame(rpc, framed);
            var seq = new ReadOnlySequence<byte>(framed);
            if (RpcFraming.TryReadFrame(ref seq, RpcFraming.DefaultMaxRpcSize, out var payload) != OperationStatus.Done) throw new InvalidOperationException("frame");
            if (RpcFraming.TryDecode(payload, out var decoded) != OperationStatus.Done) throw new InvalidOperationException("decode");
            target.Receive(from, decoded);
        }
        finally
        {
            Interlocked.Increment(ref _deliveriesFinished);
        }
    }

    /// <summary>Connects each raw peer to <paramref name="router"/> (peer dials) and subscribes it to <paramref name="topic"/>; settles and runs one heartbeat, so the mesh is formed.</summary>
    public async Task JoinAsync(RouterNode router, string topic, params RawPeer[] peers)
    {
        foreach (var p in peers)
        {
            Connect(p, router);
            p.Subscribe(router, topic);
        }

        await SettleAsync();
        await HeartbeatsAsync(1);
    }

    /// <summary>
    /// Waits until every router is idle and no RPC moved during a full round. RPCs count when they are handed over, not
    /// only when a router has processed them: a router's answer can complete a test's await (a publish result) before
    /// the same loop round flushes its RPCs, which then reach a router that has already passed its idle barrier.
    /// </summary>
    public async Task SettleAsync()
    {
        for (int round = 0; round < 200; round++)
        {
            long before = Activity();
            await Task.WhenAll(_routers.Select(r => r.Router.WhenIdleAsync())).WaitAsync(Timeout);
            long after = Activity();
            long finished = Interlocked.Read(ref _deliveriesFinished);
            bool inFlight = Interlocked.Read(ref _deliveriesStarted) != finished;
            if (after == before + _routers.Count && !inFlight) return;
        }

        throw new TimeoutException("the in-process network did not settle");
    }

    /// <summary>Advances time by one heartbeat interval <paramref name="count"/> times, settling after each.</summary>
    public async Task HeartbeatsAsync(int count, TimeSpan? interval = null)
    {
        for (int i = 0; i < count; i++)
        {
            Time.Advance(interval ?? TimeSpan.FromSeconds(1));
            await SettleAsync();
        }
    }

    private long Activity()
    {
        long n = 0;
        foreach (var r in _routers) n += r.Router.Counters.EventsProcessed;
        n += Interlocked.Read(ref _deliveriesFinished);
        lock (_lock)
        {
            foreach (var e in _endpoints.Values)
            {
                if (e is RawPeer p) n += p.ReceivedCount;
            }
        }

        return n;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var r in _routers) await r.Router.DisposeAsync();
        foreach (var r in _routers) r.Key.Dispose();
    }
}

internal interface IEndpoint
{
    PeerId Id { get; }

    void Added(PeerId peer, PubsubProtocol protocol, bool outbound);

    void Removed(PeerId peer);

    void Receive(PeerId from, PubsubRpc rpc);
}

internal sealed class RouterNode : IEndpoint, IPubsubPeerSender
{
    private readonly InProcessNetwork _network;

    public RouterNode(InProcessNetwork network, Ed25519KeyPair key, GossipsubOptions options)
    {
        _network = network;
        Key = key;
        Router = new GossipsubRouter(key, this, options, network.Time);
    }

    public Ed25519KeyPair Key { get; }

    public GossipsubRouter Router { get; }

    public PeerId Id => Key.PeerId;

    public ConcurrentQueue<PeerId> PeerExchange { get; } = new();

    public void Added(PeerId peer, PubsubProtocol protocol, bool outbound) => Router.AddPeer(peer, protocol, outbound, IPAddress.Loopback);

    public void Removed(PeerId peer) => Router.RemovePeer(peer);

    public void Receive(PeerId from, PubsubRpc rpc) => Router.HandleRpc(from, rpc);

    public bool TrySend(PeerId peer, PubsubRpc rpc)
    {
        _network.Deliver(Id, peer, rpc);
        return true;
    }

    public void OnPeerExchange(PeerId peer, byte[]? signedPeerRecord) => PeerExchange.Enqueue(peer);
}

/// <summary>A peer that speaks the RPC protocol by hand: records what it receives, sends what the test says.</summary>
internal sealed class RawPeer : IEndpoint
{
    private readonly InProcessNetwork _network;
    private readonly ConcurrentQueue<(PeerId From, PubsubRpc Rpc)> _received = new();
    private long _receivedCount;

    public RawPeer(InProcessNetwork network, Ed25519KeyPair key)
    {
        _network = network;
        Key = key;
    }

    public Ed25519KeyPair Key { get; }

    public PeerId Id => Key.PeerId;

    public long ReceivedCount => Interlocked.Read(ref _receivedCount);

    public IEnumerable<PubsubRpc> Received => _received.Select(x => x.Rpc);

    public IEnumerable<PubsubMessage> Messages => Received.SelectMany(r => r.Publish);

    public IEnumerable<ControlMessage> Controls => Received.Where(r => r.Control is not null).Select(r => r.Control!);

    public void Added(PeerId peer, PubsubProtocol protocol, bool outbound)
    {
    }

    public void Removed(PeerId peer)
    {
    }

    public void Receive(PeerId from, PubsubRpc rpc)
    {
        _received.Enqueue((from, rpc));
        Interlocked.Increment(ref _receivedCount);
    }

    public void Clear() => _received.Clear();

    public void Send(IEndpoint to, PubsubRpc rpc) => _network.Deliver(Id, to.Id, rpc);

    public void Subscribe(IEndpoint to, string topic, bool subscribe = true)
    {
        var rpc = new PubsubRpc();
        rpc.Subscriptions.Add(new SubOpts { Subscribe = subscribe, Topic = topic });
        Send(to, rpc);
    }

    public void Graft(IEndpoint to, string topic)
    {
        var rpc = new PubsubRpc { Control = new ControlMessage() };
        rpc.Control.Graft.Add(new ControlGraft { TopicId = topic });
        Send(to, rpc);
    }

    public void Prune(IEndpoint to, string topic, ulong? backoffSeconds)
    {
        var rpc = new PubsubRpc { Control = new ControlMessage() };
        rpc.Control.Prune.Add(new ControlPrune { TopicId = topic, Backoff = backoffSeconds });
        Send(to, rpc);
    }

    public void Publish(IEndpoint to, PubsubMessage message)
    {
        var rpc = new PubsubRpc();
        rpc.Publish.Add(message);
        Send(to, rpc);
    }
}

using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Node;

namespace SlipsP2P.Interop.Tests;

/// <summary>Our Libp2pNode against js-libp2p 2.10 + @chainsafe/libp2p-gossipsub 14.1.2 (tests/interop-js/gossip-peer.mjs).</summary>
public sealed class GossipInteropTests : IAsyncLifetime
{
    private const string Topic = "slips/interop/1";
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(30);
    private readonly List<Libp2pNode> _nodes = [];
    private readonly List<GossipProcess> _js = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var js in _js) await js.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var n in _nodes) await n.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<GossipProcess> StartJsAsync(string arguments)
    {
        var js = await GossipProcess.StartJsAsync("js", $"--topic {Topic} {arguments}", s_step);
        _js.Add(js);
        return js;
    }

    private async Task<OurNode> StartOursAsync(params string[] dial)
    {
        var options = new Libp2pNodeOptions { EnableDht = false };
        options.Topics.Add(Topic);
        foreach (var d in dial) options.DialAddresses.Add(Multiaddr.Parse(d));
        var node = new Libp2pNode(options);
        _nodes.Add(node);
        var ours = new OurNode(node);
        await node.StartAsync(Ct).WaitAsync(s_step, Ct);
        return ours;
    }

    private static Func<JsonElement, bool> JsMessage(string from, string base64)
        => e => GossipProcess.Is(e, "message") && GossipProcess.Str(e, "from") == from && GossipProcess.Str(e, "topic") == Topic
                && GossipProcess.Str(e, "data") == base64;

    private static async Task ExchangeBothWaysAsync(OurNode ours, GossipProcess js)
    {
        // Both see each other's subscription.
        await js.WaitForAsync(e => GossipProcess.Is(e, "subscribed") && GossipProcess.Str(e, "peerId") == ours.Node.PeerId.ToString()
                                   && GossipProcess.Str(e, "topic") == Topic, s_step);
        await ours.WaitAsync(() => ours.Subscribed.ContainsKey((js.PeerId, Topic)), "js's subscription");

        // Ours -> js, with a payload and empty: js (StrictSign) verified our signatures to deliver them.
        await ours.Node.PublishAsync(Topic, Encoding.UTF8.GetBytes("from dotnet"), Ct).WaitAsync(s_step, Ct);
        await ours.Node.PublishAsync(Topic, ReadOnlyMemory<byte>.Empty, Ct).WaitAsync(s_step, Ct);
        string me = ours.Node.PeerId.ToString();
        var got = await js.WaitForAsync(JsMessage(me, Convert.ToBase64String(Encoding.UTF8.GetBytes("from dotnet"))), s_step);
        Assert.Equal("signed", GossipProcess.Str(got, "type"));
        Assert.Equal(128, GossipProcess.Str(got, "signature").Length);
        var empty = await js.WaitForAsync(JsMessage(me, ""), s_step);
        Assert.Equal("signed", GossipProcess.Str(empty, "type"));

        // js -> ours, with a payload and empty (js encodes empty data as present-but-empty and signs that).
        await js.SendLineAsync($"publish {Topic} {Convert.ToBase64String(Encoding.UTF8.GetBytes("from js"))}");
        await js.SendLineAsync($"publish {Topic} ");
        await ours.WaitAsync(() => ours.Has(js.PeerId, "from js") && ours.Has(js.PeerId, ""), "js's two messages");
        Assert.Equal(0, ours.Node.Pubsub.Counters.Invalid);
        Assert.DoesNotContain(js.Events, e => GossipProcess.Is(e, "error"));
    }

    [Fact]
    public async Task Gossip_OurNodeDialsJs_SubscriptionsAndSignedMessagesBothWaysIncludingEmpty()
    {
        var js = await StartJsAsync("");
        var ours = await StartOursAsync(js.Addresses[0]);
        await ExchangeBothWaysAsync(ours, js);
    }

    [Fact]
    public async Task Gossip_JsDialsOurNode_SubscriptionsAndSignedMessagesBothWaysIncludingEmpty()
    {
        var ours = await StartOursAsync();
        var js = await StartJsAsync($"--dial {ours.Node.Addresses[0]}");
        await js.WaitForAsync(e => GossipProcess.Is(e, "dialed"), s_step);
        await ExchangeBothWaysAsync(ours, js);
    }

    [Fact]
    public async Task Gossip_OursJsOursLine_JsRelaysBetweenOurNodes()
    {
        // a -- js -- b: a and b only know js, so every message between them is forwarded by js's mesh.
        var js = await StartJsAsync("");
        var a = await StartOursAsync(js.Addresses[0]);
        var b = await StartOursAsync(js.Addresses[0]);
        Assert.DoesNotContain(b.Node.PeerId, a.Node.ConnectedPeers);
        await WaitMeshAsync(js, 2);

        await a.Node.PublishAsync(Topic, Encoding.UTF8.GetBytes("a via js"), Ct).WaitAsync(s_step, Ct);
        await b.Node.PublishAsync(Topic, Encoding.UTF8.GetBytes("b via js"), Ct).WaitAsync(s_step, Ct);

        await b.WaitAsync(() => b.Has(a.Node.PeerId.ToString(), "a via js"), "a's message through js");
        await a.WaitAsync(() => a.Has(b.Node.PeerId.ToString(), "b via js"), "b's message through js");
        Assert.True(b.ReceivedFrom(a.Node.PeerId.ToString()) == js.PeerId, "forwarded by js");
    }

    [Fact]
    public async Task Gossip_JsOursOursLine_OurNodeRelaysBetweenJsAndOurs()
    {
        // js -- a -- b: js's messages reach b, and b's reach js, only through our node a.
        var js = await StartJsAsync("");
        var a = await StartOursAsync(js.Addresses[0]);
        var b = await StartOursAsync(a.Node.Addresses[0].ToString());
        await a.WaitAsync(() => a.Subscribed.ContainsKey((b.Node.PeerId.ToString(), Topic)) && a.Subscribed.ContainsKey((js.PeerId, Topic)), "both subscriptions");
        await WaitOurMeshAsync(a, 2);
        await WaitMeshAsync(js, 1);

        await js.SendLineAsync($"publish {Topic} {Convert.ToBase64String(Encoding.UTF8.GetBytes("js via a"))}");
        await b.WaitAsync(() => b.Has(js.PeerId, "js via a"), "js's message through a");
        Assert.Equal(a.Node.PeerId.ToString(), b.ReceivedFrom(js.PeerId));

        await b.Node.PublishAsync(Topic, Encoding.UTF8.GetBytes("b via a"), Ct).WaitAsync(s_step, Ct);
        var got = await js.WaitForAsync(JsMessage(b.Node.PeerId.ToString(), Convert.ToBase64String(Encoding.UTF8.GetBytes("b via a"))), s_step);
        Assert.Equal("signed", GossipProcess.Str(got, "type"));
    }

    private static async Task WaitMeshAsync(GossipProcess js, int peers)
    {
        var deadline = DateTime.UtcNow + s_step;
        while (true)
        {
            int before = js.Events.Count;
            await js.SendLineAsync("mesh " + Topic);
            var mesh = await js.WaitForAsync(e => GossipProcess.Is(e, "mesh"), before, s_step);
            if (mesh.GetProperty("peers").GetArrayLength() >= peers) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"js mesh has fewer than {peers} peers: {mesh.GetRawText()}");

            // js grafts on its 1 s heartbeat, which prints nothing: give it up to a second of new output before asking again.
            try
            {
                await js.WaitForAsync(_ => true, js.Events.Count, TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
                // ask again
            }
        }
    }

    private static async Task WaitOurMeshAsync(OurNode node, int peers)
    {
        var deadline = DateTime.UtcNow + s_step;
        while (true)
        {
            var snap = await node.Node.Pubsub.GetSnapshotAsync(Ct).WaitAsync(s_step, Ct);
            if (snap.Mesh.TryGetValue(Topic, out var mesh) && mesh.Count >= peers) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"our mesh has fewer than {peers} peers");
            await node.Node.Pubsub.WhenIdleAsync(Ct).WaitAsync(s_step, Ct);
            await node.WaitAsync(() => false, "heartbeat", TimeSpan.FromMilliseconds(500), throwOnTimeout: false);
        }
    }

    /// <summary>Our node's events, with event-driven waits.</summary>
    private sealed class OurNode
    {
        private readonly Lock _sync = new();
        private readonly ConcurrentQueue<ReceivedMessage> _messages = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public OurNode(Libp2pNode node)
        {
            Node = node;
            node.PeerSubscriptionChanged += (p, t, s) => Changed(() =>
            {
                if (s) Subscribed[(p.ToString(), t)] = true;
                else Subscribed.TryRemove((p.ToString(), t), out _);
            });
            node.MessageReceived += m => Changed(() => _messages.Enqueue(m));
        }

        public Libp2pNode Node { get; }

        public ConcurrentDictionary<(string Peer, string Topic), bool> Subscribed { get; } = new();

        public bool Has(string author, string text)
            => _messages.Any(m => m.Author.ToString() == author && m.Topic == Topic && Encoding.UTF8.GetString(m.Data.Span) == text);

        public string? ReceivedFrom(string author) => _messages.FirstOrDefault(m => m.Author.ToString() == author)?.ReceivedFrom.ToString();

        public Task WaitAsync(Func<bool> condition, string what) => WaitAsync(condition, what, s_step, throwOnTimeout: true);

        public async Task WaitAsync(Func<bool> condition, string what, TimeSpan timeout, bool throwOnTimeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                Task changed;
                lock (_sync)
                {
                    if (condition()) return;
                    changed = _changed.Task;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    if (!throwOnTimeout) return;
                    throw new TimeoutException($"{Node.PeerId}: timed out waiting for {what}");
                }

                try
                {
                    await changed.WaitAsync(left, Ct);
                }
                catch (TimeoutException)
                {
                    // loop decides
                }
            }
        }

        private void Changed(Action update)
        {
            TaskCompletionSource changed;
            lock (_sync)
            {
                update();
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }
    }
}

using System.Collections.Concurrent;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Node;

namespace SlipsP2P.Libp2p.Tests.Node;

/// <summary>Records a node's events and lets a test wait, event-driven, until a condition over them holds.</summary>
internal sealed class NodeProbe
{
    private readonly Lock _sync = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NodeProbe(Libp2pNode node)
    {
        Node = node;
        node.PeerConnected += p => Record(() => Connected.Add(p));
        node.PeerDisconnected += p => Record(() => Disconnected.Add(p));
        node.PeerSubscriptionChanged += (p, t, s) => Record(() =>
        {
            if (s) Subscribed.Add((p, t));
            else Subscribed.Remove((p, t));
        });
        node.MessageReceived += m => Record(() => Messages.Enqueue(m));
        node.Error += e => Record(() => Errors.Enqueue(e));
    }

    public Libp2pNode Node { get; }

    public HashSet<PeerId> Connected { get; } = [];

    public HashSet<PeerId> Disconnected { get; } = [];

    public HashSet<(PeerId Peer, string Topic)> Subscribed { get; } = [];

    public ConcurrentQueue<ReceivedMessage> Messages { get; } = new();

    public ConcurrentQueue<string> Errors { get; } = new();

    public void Pulse() => Record(static () => { });

    /// <summary>Waits until <paramref name="condition"/> (evaluated under the probe's lock) holds.</summary>
    public async Task WaitUntilAsync(Func<NodeProbe, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_sync)
            {
                if (condition(this)) return;
                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"{Node.PeerId}: timed out waiting for {what}; errors: {string.Join(" | ", Errors)}");
            try
            {
                await changed.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            }
            catch (TimeoutException)
            {
                // Re-check: some conditions (routing tables) change without an event.
            }
        }
    }

    private void Record(Action update)
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

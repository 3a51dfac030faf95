using System.IO.Pipelines;
using Microsoft.Extensions.Time.Testing;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Gossipsub.Router;
using SlipsP2P.Libp2p.Gossipsub.Streams;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

/// <summary>
/// Bounded queues without deadlock: the reading side's budget stops its read loop (and so the sender), a stalled peer
/// loses its own messages without stalling the others, and the budget itself admits, waits and closes as documented.
/// </summary>
public sealed class BackpressureTests
{
    private const string Topic = "bench";
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A node whose sender has the given queue bound and stall timeout; heartbeats stay off (fake clock): flood publishing reaches every subscriber.</summary>
    private static StreamNode NewNode(GossipsubOptions options, long maxQueuedBytes, TimeSpan stallTimeout) =>
        new(new FakeTimeProvider(), options, new PubsubStreamSender(options.MaxRpcSize, 4096, maxQueuedBytes, stallTimeout, TimeProvider.System));

    /// <summary>Joins <paramref name="from"/>'s outbound stream to <paramref name="to"/>; the reader is started only when <paramref name="read"/>.</summary>
    private static Pipe Connect(StreamNode from, StreamNode to, bool outbound, bool read = true)
    {
        var pipe = new Pipe();
        if (read) _ = to.Sender.RunInboundAsync(from.Key.PeerId, pipe.Reader.AsStream(), Ct);
        from.Sender.AttachOutbound(to.Key.PeerId, PubsubProtocol.Meshsub11, pipe.Writer.AsStream(), outbound);
        return pipe;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        using var deadline = new CancellationTokenSource(s_step);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, Ct);
        while (!await condition().WaitAsync(s_step, Ct))
        {
            if (linked.IsCancellationRequested) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10, linked.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private static Task WaitForSubscribersAsync(GossipsubRouter router, int count) => WaitForAsync(
        async () => (await router.GetSnapshotAsync(Ct).WaitAsync(s_step, Ct)).TopicPeers.TryGetValue(Topic, out var peers) && peers.Count >= count,
        $"{count} subscriber(s) of {Topic}");

    private static async Task<HashSet<MessageId>> ReceiveAsync(Subscription sub, int count)
    {
        var ids = new HashSet<MessageId>();
        while (ids.Count < count)
        {
            var m = await sub.Messages.ReadAsync(Ct).AsTask().WaitAsync(s_step, Ct);
            ids.Add(m.Id);
        }

        return ids;
    }

    private static string Describe(StreamNode a, StreamNode b, Subscription sub) =>
        $"a: published {a.Router.Counters.Published}, forwarded {a.Router.Counters.Forwarded}, dropped {a.Sender.DroppedMessages} in {a.Sender.DroppedRpcs} RPCs, publish waits {a.Router.Counters.PublishWaits}; " +
        $"b: delivered {b.Router.Counters.Delivered}, duplicates {b.Router.Counters.Duplicates}, ignored {b.Router.Counters.Ignored}, invalid {b.Router.Counters.Invalid}, inbound waits {b.Router.Counters.InboundWaits}, subscription dropped {sub.Dropped}";

    [Fact]
    public async Task HandleRpcAsync_BurstLargerThanEveryBound_NothingLostAndReadLoopWaited()
    {
        // Arrange: the receiver admits 32 messages at a time, the sender queues 64 KiB; the burst is ~2 MB.
        const int Count = 5_000;
        using var verifying = new ManualResetEventSlim(false);
        var receiverOptions = new GossipsubOptions { MaxPendingMessagesPerPeer = 32, VerificationWorkers = 1 };
        // 64 publishes of ~420 bytes in flight stay below the 32 KiB between the queue's high-water mark and its bound.
        await using var a = NewNode(new GossipsubOptions { MaxPendingPublishes = 64 }, 64 * 1024, s_step);
        await using var b = NewNode(receiverOptions, 64 * 1024, s_step);
        // The validator holds verification until the test has seen the budget spent (a blocking validator is allowed:
        // it runs on the verification worker, never on the router loop).
        b.Router.SetValidator(Topic, _ => verifying.Wait(s_step) ? ValidationResult.Accept : ValidationResult.Reject);
        var sub = b.Router.Subscribe(Topic);
        Connect(a, b, outbound: true);
        Connect(b, a, outbound: false);
        await WaitForSubscribersAsync(a.Router, 1);

        // Act
        var payload = new byte[256];
        Random.Shared.NextBytes(payload);
        var publishes = new Task<PublishResult>[Count];
        for (int i = 0; i < Count; i++) publishes[i] = a.Router.PublishAsync(Topic, payload, Ct);
        var receiving = ReceiveAsync(sub, Count);
        await WaitForAsync(() => Task.FromResult(b.Router.Counters.InboundWaits > 0), "the receiver's read loop to wait for credits");
        bool publisherPaced = publishes.Any(p => !p.IsCompleted);
        // While nothing verifies, what b holds is the budget plus at most one RPC (a's RPCs carry <= 64 publishes).
        var held = await b.Router.GetSnapshotAsync(Ct).WaitAsync(s_step, Ct);
        verifying.Set();
        await Task.WhenAll(publishes).WaitAsync(s_step, Ct);
        await Task.WhenAny(receiving, Task.Delay(s_step, Ct)).WaitAsync(s_step * 2, Ct);
        Assert.True(receiving.IsCompletedSuccessfully, Describe(a, b, sub));
        var ids = await receiving.WaitAsync(s_step, Ct);

        // Assert: everything arrived once, nothing was dropped anywhere, and the bounds were actually reached.
        Assert.Equal(Count, ids.Count);
        Assert.Equal(0, a.Sender.DroppedMessages);
        Assert.Equal(0, sub.Dropped);
        Assert.Equal(0, b.Router.Counters.Invalid);
        Assert.True(publisherPaced, "the publisher finished a 2 MB burst although the receiver verified nothing");
        Assert.InRange(held.PendingVerification, 1, 32 + 64);
        Assert.True(a.Router.Counters.PublishWaits > 0, "no publish waited for queue capacity");
    }

    [Fact]
    public async Task PublishAsync_OnePeerStopsReading_OthersGetEverythingAndItsDropsAreCounted()
    {
        // Arrange: c subscribes but never reads what a writes to it.
        const int Count = 3_000;
        await using var a = NewNode(new GossipsubOptions { MaxPendingPublishes = 64 }, 64 * 1024, TimeSpan.FromMilliseconds(200));
        await using var b = NewNode(new GossipsubOptions(), 64 * 1024, s_step);
        await using var c = NewNode(new GossipsubOptions(), 64 * 1024, s_step);
        var subB = b.Router.Subscribe(Topic);
        var subC = c.Router.Subscribe(Topic);
        Connect(a, b, outbound: true);
        Connect(b, a, outbound: false);
        var unread = Connect(a, c, outbound: true, read: false);
        Connect(c, a, outbound: false);
        await WaitForSubscribersAsync(a.Router, 2);

        // Act
        var payload = new byte[256];
        var publishes = new Task<PublishResult>[Count];
        for (int i = 0; i < Count; i++) publishes[i] = a.Router.PublishAsync(Topic, payload, Ct);
        var receiving = ReceiveAsync(subB, Count);
        await Task.WhenAny(receiving, Task.Delay(s_step, Ct)).WaitAsync(s_step * 2, Ct);
        Assert.True(receiving.IsCompletedSuccessfully, Describe(a, b, subB));
        var ids = await receiving.WaitAsync(s_step, Ct);
        await Task.WhenAll(publishes).WaitAsync(s_step, Ct);
        // c's connection goes away (its unread stream ends), as the host does when it closes a dead connection.
        await unread.Reader.CompleteAsync();

        // Assert
        Assert.Equal(Count, ids.Count);
        Assert.True(a.Sender.DroppedMessages > 0, "the stalled peer's queue never overflowed");
        Assert.True(a.Sender.DroppedMessages < Count, $"{a.Sender.DroppedMessages} dropped: c's queue took nothing");
        Assert.False(subC.Messages.TryRead(out _));
    }

    [Fact]
    public async Task AcquireAsync_BudgetSpent_WaitsUntilReleased()
    {
        var credits = new InboundCredits(4);
        Assert.Equal(3, await credits.AcquireAsync(3, Ct, out bool waited1).AsTask().WaitAsync(s_step, Ct));
        Assert.False(waited1);

        var second = credits.AcquireAsync(2, Ct, out bool waited2).AsTask();
        Assert.True(waited2);
        Assert.False(second.IsCompleted);
        credits.Release(1);

        Assert.Equal(2, await second.WaitAsync(s_step, Ct));
        Assert.Equal(4, credits.InFlight);
    }

    [Fact]
    public async Task AcquireAsync_CountOverBudget_AdmittedAloneOnceEmpty()
    {
        var credits = new InboundCredits(4);
        Assert.Equal(1, await credits.AcquireAsync(1, Ct, out _).AsTask().WaitAsync(s_step, Ct));

        var big = credits.AcquireAsync(10, Ct, out bool waited).AsTask();
        Assert.True(waited);
        credits.Release(1);

        Assert.Equal(10, await big.WaitAsync(s_step, Ct));
        var next = credits.AcquireAsync(1, Ct, out _).AsTask();
        Assert.False(next.IsCompleted);
        credits.Release(10);
        Assert.Equal(1, await next.WaitAsync(s_step, Ct));
    }

    [Fact]
    public async Task Close_WhileReadLoopWaits_LetsItThroughWithNoCredits()
    {
        var credits = new InboundCredits(2);
        await credits.AcquireAsync(2, Ct, out _).AsTask().WaitAsync(s_step, Ct);
        var waiting = credits.AcquireAsync(1, Ct, out _).AsTask();

        credits.Close();

        Assert.Equal(0, await waiting.WaitAsync(s_step, Ct));
        Assert.Equal(0, await credits.AcquireAsync(5, Ct, out _).AsTask().WaitAsync(s_step, Ct));
    }

    [Fact]
    public async Task AcquireAsync_Cancelled_ThrowsAndKeepsBudget()
    {
        var credits = new InboundCredits(1);
        await credits.AcquireAsync(1, Ct, out _).AsTask().WaitAsync(s_step, Ct);
        using var cts = new CancellationTokenSource();
        var waiting = credits.AcquireAsync(1, cts.Token, out _).AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_step, Ct));
        Assert.Equal(1, credits.InFlight);
    }
}

// Local publishing with pacing (gossipsub v1.1 §Flood Publishing for where messages go; this file is about when).
//
//   PublishAsync ─┬─ nothing queued, a credit free, queues not congested ─▶ sign on the caller's thread ─▶ router loop
//                 └─ otherwise ─▶ publish queue (FIFO) ─▶ pump: waits for capacity and credits, signs a batch on all
//                                                          cores, posts it in order ─▶ router loop
//
// A publisher waits only for real limits: MaxPendingPublishes signed-but-unrouted messages (credits the loop gives
// back once it routed them) and room in the peers' write queues (the sender's congestion, bounded by its stall
// timeout). A waiting publish costs its Task and a queue entry, no waiter node, async state machine or timer of its
// own: one pump does the waiting for all of them, so a burst of 50,000 calls queues cheaply instead of parking
// 46,000 awaits on a semaphore each with its own capacity timer.
using System.Collections.Concurrent;
using SlipsP2P.Libp2p.Gossipsub.Router;

namespace SlipsP2P.Libp2p.Gossipsub;

public sealed partial class GossipsubRouter
{
    // Publishes the pump signs and posts at a time: enough to keep every core signing, few enough to start routing early.
    private const int MaxPublishBatch = 256;

    // Below this many, signing on the pump thread alone beats handing work to other threads.
    private const int MinParallelSigning = 16;

    private readonly ConcurrentQueue<QueuedPublish> _publishQueue = new();
    private readonly SemaphoreSlim _pumpSignal = new(0);
    private int _publishCredits;
    private int _queuedPublishes;
    private int _pumpSignaled;

    /// <summary>
    /// Signs and publishes <paramref name="data"/> on <paramref name="topic"/>. While
    /// <see cref="GossipsubOptions.MaxPendingPublishes"/> publishes are not yet routed, or the sender's queues are
    /// congested, the publish is queued (in call order) and signed once there is room, so that a burst is paced
    /// rather than dropped. <paramref name="cancellationToken"/> cancels a publish that is still queued; once signed
    /// and handed to the router it completes when routed, which the router loop never delays.
    /// </summary>
    public Task<PublishResult> PublishAsync(string topic, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        cancellationToken.ThrowIfCancellationRequested();
        // Nothing may overtake a queued publish, so the fast path is open only while the queue is empty.
        if (Volatile.Read(ref _queuedPublishes) == 0 && _sender.HasCapacity && TryTakePublishCredits(1) == 1)
        {
            var completion = new TaskCompletionSource<PublishResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var e = Sign(topic, data.Span, _seqno.Next(), completion);
            if (e is not null) Post(e);
            return completion.Task;
        }

        return Enqueue(topic, data, cancellationToken);
    }

    private Task<PublishResult> Enqueue(string topic, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var q = new QueuedPublish(topic, data.ToArray());
        if (cancellationToken.CanBeCanceled)
        {
            q.Registration = cancellationToken.UnsafeRegister(static (s, ct) => ((QueuedPublish)s!).Completion.TrySetCanceled(ct), q);
        }

        Interlocked.Increment(ref _queuedPublishes);
        Interlocked.Increment(ref Counters._publishWaits);
        _publishQueue.Enqueue(q);
        SignalPump();
        return q.Completion.Task;
    }

    /// <summary>Signs one publish; null (and the credit given back, the completion failed) when signing throws.</summary>
    private PublishEvent? Sign(string topic, ReadOnlySpan<byte> data, ulong seqno, TaskCompletionSource<PublishResult> completion)
    {
        try
        {
            var message = PubsubSigning.CreateSigned(_identity, _fromBytes, _keyBytes, topic, data, seqno);
            return new PublishEvent(_options.MessageIdFunction(message), message, completion);
        }
#pragma warning disable CA1031 // The failure belongs to this publish's caller, through its task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReleasePublishCredits();
            completion.TrySetException(ex);
            return null;
        }
    }

    private async Task RunPublishPumpAsync()
    {
        var batch = new List<QueuedPublish>(MaxPublishBatch);
        var events = new PublishEvent?[MaxPublishBatch];
        try
        {
            while (true)
            {
                await _pumpSignal.WaitAsync(_stop.Token).ConfigureAwait(false);
                Volatile.Write(ref _pumpSignaled, 0);
                while (!_publishQueue.IsEmpty)
                {
                    // Capacity first (the sender bounds this wait by its stall timeout), then credits.
                    var capacity = _sender.WaitForCapacityAsync(_stop.Token);
                    if (!capacity.IsCompletedSuccessfully) await capacity.ConfigureAwait(false);
                    int credits = TryTakePublishCredits(Math.Min(_publishQueue.Count, MaxPublishBatch));
                    if (credits == 0) break; // ReleasePublishCredits signals again
                    TakeBatch(batch, credits);
                    SignAndPost(batch, events);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // disposed
        }
    }

    private void TakeBatch(List<QueuedPublish> batch, int credits)
    {
        batch.Clear();
        while (batch.Count < credits && _publishQueue.TryDequeue(out var q))
        {
            q.Registration.Unregister();
            if (q.Completion.Task.IsCompleted)
            {
                // Cancelled while queued.
                Interlocked.Decrement(ref _queuedPublishes);
                continue;
            }

            batch.Add(q);
        }

        if (batch.Count < credits) ReleasePublishCredits(credits - batch.Count);
    }

    /// <summary>Signs the batch (on all cores when it is large) and posts it in queue order.</summary>
    private void SignAndPost(List<QueuedPublish> batch, PublishEvent?[] events)
    {
        int n = batch.Count;
        if (n == 0) return;
        ulong firstSeqno = _seqno.Next();
        for (int i = 1; i < n; i++) _seqno.Next();
        if (n >= MinParallelSigning)
        {
            Parallel.For(0, n, i => events[i] = Sign(batch[i].Topic, batch[i].Data, firstSeqno + (ulong)i, batch[i].Completion));
        }
        else
        {
            for (int i = 0; i < n; i++) events[i] = Sign(batch[i].Topic, batch[i].Data, firstSeqno + (ulong)i, batch[i].Completion);
        }

        for (int i = 0; i < n; i++)
        {
            if (events[i] is { } e) Post(e);
            events[i] = null;
        }

        // Only now may a fast-path publish go: everything queued before it has been posted.
        Interlocked.Add(ref _queuedPublishes, -n);
        batch.Clear();
    }

    private int TryTakePublishCredits(int wanted)
    {
        while (true)
        {
            int available = Volatile.Read(ref _publishCredits);
            if (available <= 0 || wanted <= 0) return 0;
            int take = Math.Min(available, wanted);
            if (Interlocked.CompareExchange(ref _publishCredits, available - take, available) == available) return take;
        }
    }

    private void ReleasePublishCredits(int count = 1)
    {
        Interlocked.Add(ref _publishCredits, count);
        if (Volatile.Read(ref _queuedPublishes) > 0) SignalPump();
    }

    private void SignalPump()
    {
        if (Interlocked.Exchange(ref _pumpSignaled, 1) != 0) return;
        try
        {
            _pumpSignal.Release();
        }
        catch (ObjectDisposedException)
        {
            // disposed: FailQueuedPublishes has failed or will fail what is queued
        }
    }

    /// <summary>At disposal: every publish still queued fails.</summary>
    private void FailQueuedPublishes()
    {
        while (_publishQueue.TryDequeue(out var q))
        {
            q.Registration.Unregister();
            q.Completion.TrySetException(new ObjectDisposedException(nameof(GossipsubRouter)));
        }
    }

    /// <summary>A publish waiting for credits or capacity; its data is copied because the caller's memory may change.</summary>
    private sealed class QueuedPublish(string topic, byte[] data)
    {
        public string Topic { get; } = topic;

        public byte[] Data { get; } = data;

        public TaskCompletionSource<PublishResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}

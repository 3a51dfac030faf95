using System.Diagnostics;
using System.Text.Json;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Node;

namespace SlipsP2P.Libp2p.Bench;

/// <summary>
/// Two nodes in this process, each with its own TCP listener on 127.0.0.1 (Noise + yamux + gossipsub). After a
/// warm-up (default 5,000 messages, then until the JIT has compiled nothing new for half a second, so that the
/// measured burst runs the steady-state code a long-running node runs), one node publishes a burst of signed
/// messages as fast as PublishAsync accepts them (it paces the burst when queues fill); the other counts
/// deliveries until all arrived or none arrived for 10 s.
/// </summary>
internal static class GossipThroughput
{
    private const string Topic = "bench";

    public static async Task<string> RunAsync(BenchArguments args, CancellationToken cancellationToken)
    {
        await using var publisher = new Libp2pNode(NodeOptions(null));
        await publisher.StartAsync(cancellationToken);
        await using var receiver = new Libp2pNode(NodeOptions(publisher.Addresses[0]));
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        publisher.PeerSubscriptionChanged += (peer, topic, joined) =>
        {
            if (joined && topic == Topic && peer == receiver.PeerId) subscribed.TrySetResult();
        };
        long received = 0, lastArrival = 0, wrongSize = 0;
        receiver.MessageReceived += m =>
        {
            if (m.Data.Length != args.Size) Interlocked.Increment(ref wrongSize);
            Interlocked.Increment(ref received);
            Volatile.Write(ref lastArrival, Stopwatch.GetTimestamp());
        };

        await receiver.StartAsync(cancellationToken);
        await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);

        var payload = new byte[args.Size];
        Random.Shared.NextBytes(payload);
        int warmup = args.Warmup;
        await BurstAsync(publisher, payload, warmup, cancellationToken);
        if (!await Measure.WaitAsync(() => Interlocked.Read(ref received) >= warmup, () => Interlocked.Read(ref received), TimeSpan.FromSeconds(10), cancellationToken))
        {
            throw new BenchmarkException($"warm-up: {Interlocked.Read(ref received)} of {warmup} messages arrived");
        }

        await Measure.WaitForJitAsync(cancellationToken);
        Interlocked.Exchange(ref received, 0);
        using var allocTypes = AllocTypes.FromEnvironment();
        allocTypes?.Start();
        var measure = new Measure();
        long start = Stopwatch.GetTimestamp();
        var publishing = BurstAsync(publisher, payload, args.Count, cancellationToken);
        bool complete = await Measure.WaitAsync(() => Interlocked.Read(ref received) >= args.Count, () => Interlocked.Read(ref received), TimeSpan.FromSeconds(10), cancellationToken);
        double seconds = Stopwatch.GetElapsedTime(start, Volatile.Read(ref lastArrival)).TotalSeconds;
        var cpu = measure.Cpu;
        var memory = measure.Memory;
        if (allocTypes is not null)
        {
            allocTypes.Stop();
            await Console.Error.WriteLineAsync(allocTypes.Report(args.Count));
        }
        await publishing.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        long delivered = Interlocked.Read(ref received);
        return JsonSerializer.Serialize(new
        {
            bench = "gossip",
            impl = "slips",
            count = args.Count,
            size = args.Size,
            delivered,
            lost = args.Count - delivered,
            complete,
            seconds = Math.Round(seconds, 3),
            msgPerSec = Math.Round(delivered / seconds),
            cpuSeconds = Math.Round(cpu.TotalSeconds, 3),
            cpuUsPerMessage = Math.Round(cpu.TotalMicroseconds / Math.Max(1, delivered), 1),
            allocBytesPerMessage = memory.AllocatedBytes / Math.Max(1, delivered),
            gcGen0 = memory.Gen0,
            gcGen1 = memory.Gen1,
            gcGen2 = memory.Gen2,
            gcPauseMs = Math.Round(memory.GcPause.TotalMilliseconds, 1),
            jitMethods = memory.JitMethods,
            warmup,
            wrongSize = Interlocked.Read(ref wrongSize),
            publishWaits = publisher.Pubsub.Counters.PublishWaits,
            sendDropped = publisher.Pubsub.Counters.SendDroppedMessages,
            inboundWaits = receiver.Pubsub.Counters.InboundWaits,
            load = Measure.LoadAverage(),
        });
    }

    private static Libp2pNodeOptions NodeOptions(Multiaddr? dial)
    {
        var options = new Libp2pNodeOptions { EnableDht = false };
        if (dial is not null) options.DialAddresses.Add(dial);
        options.Host.DialTimeout = TimeSpan.FromSeconds(30);
        options.Topics.Add(Topic);
        options.Host.UpgradeTimeout = TimeSpan.FromSeconds(30);
        options.Host.NegotiationTimeout = TimeSpan.FromSeconds(30);
        options.PubsubSetupTimeout = TimeSpan.FromSeconds(30);
        return options;
    }

    /// <summary>Calls PublishAsync <paramref name="count"/> times without waiting between calls, then awaits them all.</summary>
    private static async Task BurstAsync(Libp2pNode node, byte[] payload, int count, CancellationToken cancellationToken)
    {
        var tasks = new Task[count];
        for (int i = 0; i < count; i++) tasks[i] = node.PublishAsync(Topic, payload, cancellationToken);
        await Task.WhenAll(tasks);
    }
}

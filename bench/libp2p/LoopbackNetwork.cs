using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using SlipsP2P.Libp2p.Node;

namespace SlipsP2P.Libp2p.Bench;

/// <summary>
/// N nodes in this process, each with its own TCP listener on 127.0.0.1 and real TCP connections, joined in a random
/// connected topology of degree 6 to 8 (a ring plus random edges, seeded). Once every mesh has formed, messages of 256
/// bytes are published from random nodes at a fixed rate; every other node records when each arrives. Reported: p50/p99
/// publish-to-delivery latency, completeness, and duplicate copies received per node per message against D.
/// </summary>
internal static class LoopbackNetwork
{
    private const string Topic = "bench";

    public static async Task<string> RunAsync(BenchArguments args, CancellationToken cancellationToken)
    {
        int n = args.Nodes, m = args.Messages;
        var random = new Random(args.Seed);
        var neighbours = Topology(n, random, out int minDegree, out int maxDegree);
        var nodes = new Libp2pNode[n];
        // arrivals[node * m + message]: Stopwatch ticks of the first delivery (0 = not delivered).
        var arrivals = new long[n * m];
        long delivered = 0;
        try
        {
            for (int j = 0; j < n; j++)
            {
                var options = new Libp2pNodeOptions { EnableDht = false, TargetPeers = 0 };
                options.Topics.Add(Topic);
                options.Host.DialTimeout = options.Host.UpgradeTimeout = options.Host.NegotiationTimeout = TimeSpan.FromSeconds(30);
                options.PubsubSetupTimeout = TimeSpan.FromSeconds(30);
                // Node j dials its neighbours that started before it: every edge is one real TCP connection.
                foreach (int i in neighbours[j])
                {
                    if (i < j) options.DialAddresses.Add(nodes[i].Addresses[0]);
                }

                var node = new Libp2pNode(options);
                int index = j;
                node.MessageReceived += msg =>
                {
                    int k = BinaryPrimitives.ReadInt32BigEndian(msg.Data.Span);
                    if ((uint)k < (uint)m && Interlocked.CompareExchange(ref arrivals[(index * m) + k], Stopwatch.GetTimestamp(), 0) == 0)
                    {
                        Interlocked.Increment(ref delivered);
                    }
                };
                nodes[j] = node;
                await node.StartAsync(cancellationToken);
            }

            var (meshMin, meshMax) = await WaitForMeshesAsync(nodes, neighbours, cancellationToken);
            var duplicatesBefore = Array.ConvertAll(nodes, static x => x.Pubsub.Counters.Duplicates);
            var published = new long[m];
            var publishers = new int[m];
            var payload = new byte[256];
            var measure = new Measure();
            var tasks = new List<Task>(m);
            for (int k = 0; k < m; k++)
            {
                publishers[k] = random.Next(n);
                BinaryPrimitives.WriteInt32BigEndian(payload, k);
                published[k] = Stopwatch.GetTimestamp();
                tasks.Add(nodes[publishers[k]].PublishAsync(Topic, payload.AsMemory().ToArray(), cancellationToken));
                await Task.Delay(TimeSpan.FromSeconds(1.0 / args.Rate), cancellationToken);
            }

            long expected = (long)m * (n - 1);
            bool complete = await Measure.WaitAsync(() => Interlocked.Read(ref delivered) >= expected, () => Interlocked.Read(ref delivered), TimeSpan.FromSeconds(10), cancellationToken);
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            var cpu = measure.Cpu;

            var latencies = new List<double>((int)Math.Min(expected, int.MaxValue));
            int incompleteNodes = 0;
            for (int j = 0; j < n; j++)
            {
                bool all = true;
                for (int k = 0; k < m; k++)
                {
                    if (publishers[k] == j) continue;
                    long at = arrivals[(j * m) + k];
                    if (at == 0) all = false;
                    else latencies.Add(Stopwatch.GetElapsedTime(published[k], at).TotalMilliseconds);
                }

                if (!all) incompleteNodes++;
            }

            latencies.Sort();
            double maxDup = 0, sumDup = 0;
            for (int j = 0; j < n; j++)
            {
                double perMessage = (double)(nodes[j].Pubsub.Counters.Duplicates - duplicatesBefore[j]) / m;
                maxDup = Math.Max(maxDup, perMessage);
                sumDup += perMessage;
            }

            return JsonSerializer.Serialize(new
            {
                bench = "network",
                impl = "slips",
                nodes = n,
                messages = m,
                rate = args.Rate,
                degreeMin = minDegree,
                degreeMax = maxDegree,
                meshMin,
                meshMax,
                d = nodes[0].Pubsub.Options.D,
                delivered = Interlocked.Read(ref delivered),
                expected,
                complete,
                incompleteNodes,
                p50Ms = Math.Round(Percentile(latencies, 0.50), 1),
                p99Ms = Math.Round(Percentile(latencies, 0.99), 1),
                maxMs = Math.Round(latencies.Count > 0 ? latencies[^1] : double.NaN, 1),
                duplicatesPerNodeMax = Math.Round(maxDup, 2),
                duplicatesPerNodeMean = Math.Round(sumDup / n, 2),
                cpuSeconds = Math.Round(cpu.TotalSeconds, 3),
                load = Measure.LoadAverage(),
            });
        }
        finally
        {
            foreach (var node in nodes)
            {
                if (node is not null) await node.DisposeAsync();
            }
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>A ring (connected) plus random edges until each node has its random target degree in 6..8 where possible.</summary>
    private static List<int>[] Topology(int n, Random random, out int minDegree, out int maxDegree)
    {
        if (n < 9) throw new BenchmarkException("the network benchmark needs at least 9 nodes for degree 6..8");
        var edges = new HashSet<int>[n];
        var target = new int[n];
        for (int i = 0; i < n; i++)
        {
            edges[i] = [];
            target[i] = random.Next(6, 9);
        }

        for (int i = 0; i < n; i++)
        {
            edges[i].Add((i + 1) % n);
            edges[(i + 1) % n].Add(i);
        }

        for (int attempt = 0; attempt < n * 200; attempt++)
        {
            int a = random.Next(n), b = random.Next(n);
            if (a == b || edges[a].Count >= target[a] || edges[b].Count >= target[b] || !edges[a].Add(b)) continue;
            edges[b].Add(a);
        }

        // Nodes still under 6 take an edge from anyone below 8.
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n && edges[a].Count < 6; b++)
            {
                if (a != b && edges[b].Count < 8 && edges[a].Add(b)) edges[b].Add(a);
            }
        }

        minDegree = int.MaxValue;
        maxDegree = 0;
        var result = new List<int>[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = [.. edges[i]];
            minDegree = Math.Min(minDegree, edges[i].Count);
            maxDegree = Math.Max(maxDegree, edges[i].Count);
        }

        return result;
    }

    private static async Task<(int Min, int Max)> WaitForMeshesAsync(Libp2pNode[] nodes, List<int>[] neighbours, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            int min = int.MaxValue, max = 0, ready = 0;
            for (int j = 0; j < nodes.Length; j++)
            {
                var snapshot = await nodes[j].Pubsub.GetSnapshotAsync(cancellationToken);
                int mesh = snapshot.Mesh.TryGetValue(Topic, out var peers) ? peers.Count : 0;
                min = Math.Min(min, mesh);
                max = Math.Max(max, mesh);
                if (mesh >= Math.Min(nodes[j].Pubsub.Options.DLow, neighbours[j].Count)) ready++;
            }

            if (ready == nodes.Length || deadline.Elapsed > TimeSpan.FromSeconds(60)) return (min, max);
            await Task.Delay(200, cancellationToken);
        }
    }
}

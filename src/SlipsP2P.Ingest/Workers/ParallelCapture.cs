using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Pcap;

namespace SlipsP2P.Ingest.Workers;

/// <summary>
/// A capture analysed by several flow tables at once, with exactly the records one table gives, in its order.
/// <code>
///  reader thread: read + decode + symmetric hash ─┬─> worker 0: FlowTable ─┐
///  (global packet numbers, packet clock,          ├─> worker 1: FlowTable ─┼─> caller: k-way merge by tag ─> sink
///   sweep checkpoints, uid seed)                  └─> worker N-1 ...      ─┘   (one group at a time, in order)
/// </code>
/// Packets travel in groups of up to <see cref="BatchGroup.MaxPackets"/>, split into one part per worker; the
/// sweeps of the packet clock and the final flush go to every part at their place in packet order. Each worker tags
/// what it emits (<see cref="TaggedRecord"/>); the tags depend only on the input, never on the partition, so merging
/// the parts of a group by tag gives the single table's order. Flows never move between workers, and no table is
/// shared between threads. A fixed pool of groups bounds the memory and lets the three stages overlap.
/// </summary>
internal static class ParallelCapture
{
    /// <summary>Runs the capture; returns the number of flows emitted. Exceptions of any stage surface here.</summary>
    public static long Run(CaptureReader reader, AnalysisOptions options, int workers, bool inspectApplications, bool computeFlowIds,
                           IngestStats stats, IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        int groupCount = (2 * workers) + 2;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationToken token = cts.Token;
        using var free = new BlockingCollection<BatchGroup>(groupCount);
        using var ready = new BlockingCollection<BatchGroup>(groupCount);
        var queues = new BlockingCollection<WorkerBatch>[workers];
        var tables = new FlowWorker[workers];
        var groups = new BatchGroup[groupCount];
        var threads = new List<Thread>(workers + 1);
        Exception? failure = null;

        void Fail(Exception e)
        {
            Interlocked.CompareExchange(ref failure, e, null);
            cts.Cancel();
        }

        try
        {
            for (int i = 0; i < groupCount; i++)
            {
                groups[i] = new BatchGroup(workers);
                groups[i].Reset();
                free.Add(groups[i], token);
            }

            for (int i = 0; i < workers; i++)
            {
                queues[i] = new BlockingCollection<WorkerBatch>(groupCount);
                tables[i] = new FlowWorker(options, inspectApplications, computeFlowIds);
                var queue = queues[i];
                var worker = tables[i];
                threads.Add(Start($"slips flow worker {i}", () =>
                {
                    try
                    {
                        foreach (WorkerBatch part in queue.GetConsumingEnumerable(token))
                        {
                            worker.Process(part);
                            part.Group.PartDone();
                        }
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                    }
                    catch (Exception e)
                    {
                        Fail(e);
                    }
                }));
            }

            threads.Add(Start("slips capture reader", () =>
            {
                try
                {
                    var handler = new DispatchHandler(new Dispatcher(free, ready, queues, token));
                    PcapSource.ReadFrames(reader, stats, ref handler, token);
                    handler.Dispatcher.Finish();
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                }
                catch (Exception e)
                {
                    Fail(e);
                }
                finally
                {
                    ready.CompleteAdding();
                    foreach (var q in queues) q.CompleteAdding();
                }
            }));

            try
            {
                Merge(free, ready, workers, sink, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }
        finally
        {
            if (failure is not null || cancellationToken.IsCancellationRequested) cts.Cancel();
            foreach (var t in threads) t.Join();
            foreach (var q in queues) q?.Dispose();
            foreach (var g in groups) g?.Dispose();
        }

        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        cancellationToken.ThrowIfCancellationRequested();
        long flows = 0;
        foreach (var w in tables) flows += w.Table.FlowsEmitted;
        return flows;
    }

    private static Thread Start(string name, ThreadStart body)
    {
        var t = new Thread(body) { IsBackground = true, Name = name };
        t.Start();
        return t;
    }

    /// <summary>Takes the groups in input order, waits for their workers, and emits their records merged by tag.</summary>
    private static void Merge(BlockingCollection<BatchGroup> free, BlockingCollection<BatchGroup> ready, int workers, IEventSink sink, CancellationToken token)
    {
        Span<int> heads = workers <= 64 ? stackalloc int[workers] : new int[workers];
        while (ready.TryTake(out BatchGroup? group, Timeout.Infinite, token))
        {
            group.Done.Wait(token);
            WorkerBatch[] parts = group.Parts;
            heads.Clear();
            // Each part's output is already in tag order: a k-way merge over the heads (k is small; a scan is enough).
            while (true)
            {
                int best = -1;
                for (int i = 0; i < parts.Length; i++)
                {
                    Span<TaggedRecord> output = CollectionsMarshal.AsSpan(parts[i].Output);
                    if (heads[i] >= output.Length) continue;
                    if (best < 0 || TaggedRecord.Compare(in output[heads[i]], in CollectionsMarshal.AsSpan(parts[best].Output)[heads[best]]) < 0) best = i;
                }

                if (best < 0) break;
                sink.OnEvent(parts[best].Output[heads[best]++].Record);
            }

            bool last = group.Last;
            group.Reset();
            free.Add(group, token);
            if (last) return;
        }
    }

    /// <summary>The reader's side: keeps the global packet clock and fills groups, one part per worker.</summary>
    private sealed class Dispatcher(BlockingCollection<BatchGroup> free, BlockingCollection<BatchGroup> ready,
                                    BlockingCollection<WorkerBatch>[] queues, CancellationToken token)
    {
        private BatchGroup? _group;
        private double _now = double.NegativeInfinity;
        private double _nextSweep = double.NegativeInfinity;
        private bool _seeded;
        private ulong _seed;

        /// <summary>The group being filled (taken from the pool when needed: the pool is the back-pressure).</summary>
        private BatchGroup Group => _group ??= free.Take(token);

        public void Ip(ref DecodedPacket p, ref CapturedFrame frame)
        {
            if (!_seeded)
            {
                // As FlowTable.Process seeds from the first IP packet.
                _seed = FlowTable.UidSeedFor(frame.Timestamp);
                _seeded = true;
            }

            Clock(frame.Timestamp, frame.Number);
            uint hash = SymmetricFlowHash.Compute(p.Source, p.SourcePort, p.Destination, p.DestinationPort, p.Protocol);
            Add(hash, ref frame);
        }

        public void Arp(ref DecodedPacket p, ref CapturedFrame frame)
        {
            Clock(frame.Timestamp, frame.Number);
            Add(SymmetricFlowHash.Compute(p.Source, 0, p.Destination, 0, 0), ref frame);
        }

        public void Other(ref CapturedFrame frame)
        {
            Clock(frame.Timestamp, frame.Number);
            BatchGroup g = Group;
            g.Packets++;
            if (g.IsFull) Dispatch(last: false);
        }

        public void Finish()
        {
            Group.AddCommandToAll(BatchEntryKind.Flush, long.MaxValue, _now);
            Dispatch(last: true);
        }

        /// <summary>FlowTable.Advance's sweep rule on the global clock: every worker sweeps where one table would.</summary>
        private void Clock(double timestamp, long sequence)
        {
            if (timestamp > _now) _now = timestamp;
            if (_now >= _nextSweep)
            {
                Group.AddCommandToAll(BatchEntryKind.Sweep, sequence, _now);
                _nextSweep = _now + FlowTable.SweepInterval;
            }
        }

        private void Add(uint hash, ref CapturedFrame frame)
        {
            BatchGroup g = Group;
            g.Parts[SymmetricFlowHash.Partition(hash, g.Parts.Length)].AddPacket(frame.Number, frame.Timestamp, frame.LinkType, frame.Data);
            g.Packets++;
            g.Bytes += frame.Data.Length;
            if (g.IsFull) Dispatch(last: false);
        }

        private void Dispatch(bool last)
        {
            BatchGroup g = Group;
            g.Last = last;
            g.HasSeed = _seeded;
            g.UidSeed = _seed;
            ready.Add(g, token);
            for (int i = 0; i < queues.Length; i++) queues[i].Add(g.Parts[i], token);
            _group = null;
        }
    }

    private readonly struct DispatchHandler(Dispatcher dispatcher) : IFrameHandler
    {
        public Dispatcher Dispatcher => dispatcher;

        public void OnIp(ref DecodedPacket packet, ref CapturedFrame frame) => dispatcher.Ip(ref packet, ref frame);

        public void OnArp(ref DecodedPacket packet, ref CapturedFrame frame) => dispatcher.Arp(ref packet, ref frame);

        public void OnOther(ref CapturedFrame frame) => dispatcher.Other(ref frame);
    }
}

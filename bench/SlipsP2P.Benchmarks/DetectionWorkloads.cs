using System.Diagnostics;
using System.Globalization;
using SlipsP2P.Core;
using SlipsP2P.Detection;
using SlipsP2P.Detection.Detectors;
using SlipsP2P.Ingest.FlowFiles;

namespace SlipsP2P.Benchmarks;

/// <summary>
/// Detection cost in the calling thread's CPU time rather than wall time, so that the numbers mean something on a
/// shared, loaded machine: <c>-- --detection-cpu [ROUNDS]</c> and <c>-- --detection-breakdown [ROUNDS]</c>. Each round
/// runs the generated capture's records through a fresh pipeline with every built-in detector, configured as
/// <c>slips -f</c> runs it without -D/-p (no profile summaries); the pipeline (ports list, IoC files) is built outside
/// the timed part, and that cost is shown on its own line. The median round is reported, with the fastest beside it.
/// With SLIPS_BENCH_DETECTION_INPUT=PATH (a Zeek conn.log, TSV or JSON) the records are that file's instead of the
/// generated capture's, e.g. the 249k-line conn.log of bench/e2e.sh.
/// </summary>
internal static class DetectionWorkloads
{
    private static readonly Lazy<(NetEvent[] Records, int Flows)> s_input = new(LoadInput);

    public static int Report(int rounds, TextWriter output, bool noDetectors = false)
    {
        IDetector[]? none = noDetectors ? [] : null;
        var w = Workloads.Shared;
        var (records, flowCount) = s_input.Value;
        rounds = Math.Max(1, rounds);

        // Warm-up: JIT tiers, the detectors' tables at size.
        for (int i = 0; i < 3; i++) Run(Workloads.NewDetectionPipeline(w.Options, new Workloads.CountingAlerts(), none), records);

        long buildBytes = 0, buildNs = 0, runBytes = 0, evidence = 0;
        var perRound = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            long cpu0 = ThreadCpu.Nanoseconds();
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            var alerts = new Workloads.CountingAlerts();
            var pipeline = Workloads.NewDetectionPipeline(w.Options, alerts, none);
            long a1 = GC.GetAllocatedBytesForCurrentThread();
            long cpu1 = ThreadCpu.Nanoseconds();
            Run(pipeline, records);
            long a2 = GC.GetAllocatedBytesForCurrentThread();
            long cpu2 = ThreadCpu.Nanoseconds();
            buildBytes += a1 - a0;
            buildNs += cpu1 - cpu0;
            runBytes += a2 - a1;
            perRound[r] = (cpu2 - cpu1) / (double)flowCount;
            evidence = alerts.Evidence;
        }

        Array.Sort(perRound);
        double median = perRound[rounds / 2];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"detection{(noDetectors ? " without detectors (the pipeline's floor)" : "")}: {flowCount} flows, {records.Length} records, {evidence} evidence per round, {rounds} rounds, {Clock()}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  pipeline build: {buildBytes / (double)rounds / 1024:0} KiB, {buildNs / 1e6 / rounds:0.0} ms CPU per build"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  records:        {runBytes / ((double)flowCount * rounds):0.0} B/flow, {median / 1000:0.000} us CPU/flow (median; fastest {perRound[0] / 1000:0.000}), {1e9 / median:N0} flows per CPU second"));
        return 0;
    }

    /// <summary>
    /// The whole pipeline with every detector timed inside it: each detector's share of the run, in ns of CPU per flow
    /// of the capture (its share of the wall ticks spent in detectors, applied to the thread's CPU time), and what is
    /// left for the pipeline itself (whitelist, windows, profiles, dispatch, evidence engine). The "(timer)" line is
    /// the cost of the timing itself per detector call, measured on a detector that does nothing; each detector's line
    /// includes it once per call it receives.
    /// </summary>
    public static int Breakdown(int rounds, TextWriter output)
    {
        var w = Workloads.Shared;
        var (records, flowCount) = s_input.Value;
        rounds = Math.Max(1, rounds);
        var options = w.Options;
        int count = AnalysisPipeline.DefaultDetectors(options).Count;
        var ticks = new long[count + 1];
        var calls = new long[count + 1];
        var allocated = new long[count + 1];
        long loopTicks = 0, cpuNs = 0, bytes = 0;
        for (int r = -2; r < rounds; r++)
        {
            var timed = new List<TimedDetector>();
            foreach (var d in AnalysisPipeline.DefaultDetectors(options)) timed.Add(new TimedDetector(d));
            timed.Add(new TimedDetector(new IdleDetector()));
            var pipeline = Workloads.NewDetectionPipeline(options, new Workloads.CountingAlerts(), timed);
            long cpu0 = ThreadCpu.Nanoseconds();
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            Run(pipeline, records);
            long t1 = Stopwatch.GetTimestamp();
            long a1 = GC.GetAllocatedBytesForCurrentThread();
            long cpu1 = ThreadCpu.Nanoseconds();
            if (r < 0) continue; // warm-up
            loopTicks += t1 - t0;
            cpuNs += cpu1 - cpu0;
            bytes += a1 - a0;
            for (int i = 0; i < timed.Count; i++)
            {
                ticks[i] += timed[i].Ticks;
                calls[i] += timed[i].Calls;
                allocated[i] += timed[i].Bytes;
            }
        }

        double flows = (double)flowCount * rounds;
        double nsPerTick = cpuNs / (double)loopTicks;
        double timerNsPerCall = ticks[count] * nsPerTick / Math.Max(1, calls[count]);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"detection breakdown: {flowCount} flows, {records.Length} records, {rounds} rounds, {Clock()}; whole run {cpuNs / flows:0} ns CPU/flow, {bytes / flows:0.0} B/flow"));
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in records) kinds[record.GetType().Name] = kinds.GetValueOrDefault(record.GetType().Name) + 1;
        output.WriteLine("  records: " + string.Join(", ", kinds.Select(k => $"{k.Value} {k.Key}")));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"detector",-26} {"ns/flow",9} {"B/flow",9} {"calls/flow",11}"));
        long detectorTicks = 0, detectorBytes = 0;
        var names = AnalysisPipeline.DefaultDetectors(options);
        for (int i = 0; i < count; i++)
        {
            detectorTicks += ticks[i];
            detectorBytes += allocated[i];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {names[i].Name,-26} {ticks[i] * nsPerTick / flows,9:0.0} {allocated[i] / flows,9:0.0} {calls[i] / flows,11:0.00}"));
        }

        detectorTicks += ticks[count];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {"(timer, per call)",-26} {timerNsPerCall,9:0.0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {"(pipeline itself)",-26} {(loopTicks - detectorTicks) * nsPerTick / flows,9:0.0} {(bytes - detectorBytes) / flows,9:0.0}"));
        return 0;
    }

    private static (NetEvent[] Records, int Flows) LoadInput()
    {
        string? path = Environment.GetEnvironmentVariable("SLIPS_BENCH_DETECTION_INPUT");
        if (string.IsNullOrEmpty(path)) return (Workloads.Shared.Records, Workloads.Shared.FlowCount);
        var collect = new Collect();
        using (var source = new ZeekLogSource(path)) source.Run(collect, CancellationToken.None);
        int flows = 0;
        foreach (var r in collect.Records)
        {
            if (r is FlowRecord) flows++;
        }

        return (collect.Records.ToArray(), Math.Max(1, flows));
    }

    private static string Clock() => ThreadCpu.IsThreadClock ? "thread CPU time" : "process CPU time";

    private static void Run(AnalysisPipeline pipeline, NetEvent[] records)
    {
        for (int i = 0; i < records.Length; i++) pipeline.OnEvent(records[i]);
        pipeline.Finish();
    }

    /// <summary>Wall ticks spent in one detector, through the same interfaces the pipeline dispatches on.</summary>
    private sealed class TimedDetector(IDetector inner) : IDetector
    {
        public long Ticks { get; private set; }

        public long Calls { get; private set; }

        public long Bytes { get; private set; }

        public string Name => inner.Name;

        public RecordKinds HandledKinds => inner.HandledKinds;

        public void OnFlow(FlowRecord flow, DetectionContext ctx)
        {
            long a = GC.GetAllocatedBytesForCurrentThread();
            long t = Stopwatch.GetTimestamp();
            inner.OnFlow(flow, ctx);
            Ticks += Stopwatch.GetTimestamp() - t;
            Bytes += GC.GetAllocatedBytesForCurrentThread() - a;
            Calls++;
        }

        public void OnRecord(NetEvent record, DetectionContext ctx)
        {
            long a = GC.GetAllocatedBytesForCurrentThread();
            long t = Stopwatch.GetTimestamp();
            inner.OnRecord(record, ctx);
            Ticks += Stopwatch.GetTimestamp() - t;
            Bytes += GC.GetAllocatedBytesForCurrentThread() - a;
            Calls++;
        }

        public void OnFinish(DetectionContext ctx)
        {
            long a = GC.GetAllocatedBytesForCurrentThread();
            long t = Stopwatch.GetTimestamp();
            inner.OnFinish(ctx);
            Ticks += Stopwatch.GetTimestamp() - t;
            Bytes += GC.GetAllocatedBytesForCurrentThread() - a;
        }

        public void EvictBefore(int window)
        {
            long a = GC.GetAllocatedBytesForCurrentThread();
            long t = Stopwatch.GetTimestamp();
            inner.EvictBefore(window);
            Ticks += Stopwatch.GetTimestamp() - t;
            Bytes += GC.GetAllocatedBytesForCurrentThread() - a;
        }
    }

    private sealed class Collect : IEventSink
    {
        public List<NetEvent> Records { get; } = new();

        public void OnEvent(NetEvent record) => Records.Add(record);
    }

    private sealed class IdleDetector : IDetector
    {
        public string Name => "idle";

        public void OnFlow(FlowRecord flow, DetectionContext ctx)
        {
        }

        public void OnRecord(NetEvent record, DetectionContext ctx)
        {
        }

        public void OnFinish(DetectionContext ctx)
        {
        }

        public void EvictBefore(int window)
        {
        }
    }
}

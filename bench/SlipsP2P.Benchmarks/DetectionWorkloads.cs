using System.Diagnostics;
using System.Globalization;
using SlipsP2P.Core;
using SlipsP2P.Detection;

namespace SlipsP2P.Benchmarks;

/// <summary>
/// Detection cost measured in CPU time rather than wall time, so that the numbers mean something on a shared, loaded
/// machine: <c>-- --detection-cpu [ROUNDS]</c>. Each round runs the generated capture's records through a pipeline with
/// every built-in detector; the pipeline (ports list, IoC files) is built outside the timed part, and that cost is
/// shown on its own line.
/// </summary>
internal static class DetectionWorkloads
{
    public static int Report(int rounds, TextWriter output, bool breakdown = false)
    {
        var w = Workloads.Shared;
        var options = w.Options;
        NetEvent[] records = w.Records;

        // Warm-up: JIT tiers, the detectors' tables at size.
        for (int i = 0; i < 3; i++) RunOnce(options, records);

        var process = Process.GetCurrentProcess();
        long buildBytes = 0, runBytes = 0;
        TimeSpan buildCpu = TimeSpan.Zero, runCpu = TimeSpan.Zero;
        long evidence = 0;
        for (int r = 0; r < rounds; r++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            var alerts = new CountingAlerts();
            var pipeline = new AnalysisPipeline(options, alerts);
            long a1 = GC.GetAllocatedBytesForCurrentThread();
            process.Refresh();
            var cpu1 = process.TotalProcessorTime;
            for (int i = 0; i < records.Length; i++) pipeline.OnEvent(records[i]);
            pipeline.Finish();
            long a2 = GC.GetAllocatedBytesForCurrentThread();
            process.Refresh();
            var cpu2 = process.TotalProcessorTime;
            buildBytes += a1 - a0;
            runBytes += a2 - a1;
            buildCpu += cpu1 - cpu0;
            runCpu += cpu2 - cpu1;
            evidence = alerts.Evidence;
        }

        double flows = (double)w.FlowCount * rounds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"detection: {w.FlowCount} flows, {records.Length} records, {evidence} evidence per round, {rounds} rounds"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  pipeline build: {buildBytes / (double)rounds / 1024:0} KiB, {buildCpu.TotalMilliseconds / rounds:0.0} ms CPU per build"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  records:        {runBytes / flows:0.0} B/flow, {runCpu.TotalMilliseconds * 1000 / flows:0.000} us CPU/flow, {flows / runCpu.TotalSeconds:N0} flows per CPU second"));
        if (breakdown) Breakdown(options, records, rounds, output);
        return 0;
    }

    /// <summary>Each detector alone in a pipeline, and the pipeline with none (whitelist, profiler, engine).</summary>
    private static void Breakdown(AnalysisOptions options, NetEvent[] records, int rounds, TextWriter output)
    {
        int count = AnalysisPipeline.DefaultDetectors(options).Count;
        var process = Process.GetCurrentProcess();
        for (int d = -1; d < count; d++)
        {
            string name = "(no detector)";
            long bytes = 0;
            TimeSpan cpu = TimeSpan.Zero;
            for (int r = 0; r < rounds + 1; r++)
            {
                var detectors = d < 0 ? [] : new[] { AnalysisPipeline.DefaultDetectors(options)[d] };
                if (d >= 0) name = detectors[0].Name;
                var pipeline = new AnalysisPipeline(options, new CountingAlerts(), detectors);
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < records.Length; i++) pipeline.OnEvent(records[i]);
                pipeline.Finish();
                long a1 = GC.GetAllocatedBytesForCurrentThread();
                process.Refresh();
                if (r == 0) continue; // warm-up
                bytes += a1 - a0;
                cpu += process.TotalProcessorTime - cpu0;
            }

            double flows = (double)Workloads.Shared.FlowCount * rounds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-26} {bytes / flows,8:0.0} B/flow {cpu.TotalMilliseconds * 1000 / flows,8:0.000} us CPU/flow"));
        }
    }

    private static long RunOnce(AnalysisOptions options, NetEvent[] records)
    {
        var alerts = new CountingAlerts();
        var pipeline = new AnalysisPipeline(options, alerts);
        for (int i = 0; i < records.Length; i++) pipeline.OnEvent(records[i]);
        pipeline.Finish();
        return alerts.Evidence;
    }

    private sealed class CountingAlerts : IAlertSink
    {
        public long Evidence { get; private set; }

        public void OnEvidence(Evidence evidence) => Evidence++;

        public void OnAlert(Alert alert)
        {
        }
    }
}

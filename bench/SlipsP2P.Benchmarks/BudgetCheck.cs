using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace SlipsP2P.Benchmarks;

/// <summary>
/// Runs the allocation workloads without BenchmarkDotNet's process isolation (seconds, not minutes), measures bytes
/// allocated per unit with <see cref="GC.GetAllocatedBytesForCurrentThread"/> after a warm-up, prints a throughput
/// line per workload, and compares each against bench/allocation-budget.json. Exit code 1 when a budget is exceeded.
/// </summary>
internal static class BudgetCheck
{
    public static int Run(string budgetPath, TextWriter output)
    {
        Dictionary<string, double> budget;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(budgetPath));
            budget = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.GetProperty("budgets").EnumerateObject()) budget[p.Name] = p.Value.GetProperty("bytesPerUnit").GetDouble();
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException or UnauthorizedAccessException)
        {
            output.WriteLine($"budget: cannot read {budgetPath}: {e.Message}");
            return 2;
        }

        var w = Workloads.Shared;
        var results = new List<(string Name, double BytesPerUnit, double UnitsPerSecond, string Unit)>
        {
            Measure("pcap-read", "packet", w.PacketCount, () => w.ReadPcap()),
            Measure("decode", "packet", w.PacketCount, () => w.DecodeAll()),
            SteadyState(w),
            Measure("capture-to-flows", "packet", w.PacketCount, () => w.CaptureToFlows()),
            Measure("dns-parse", "message", 1, () => w.ParseDns(), repeat: 100_000),
            Measure("detection", "flow", w.FlowCount, () => w.Detect()),
        };
        var files = FlowFileWorkloads.Shared;
        foreach (var (name, op) in files.All()) results.Add(Measure(name, "line", files.Lines, op));

        int failures = 0;
        output.WriteLine($"{"workload",-18} {"B/unit",10} {"budget",10} {"units/s",14}");
        foreach (var (name, bytes, rate, unit) in results)
        {
            string limit = budget.TryGetValue(name, out double b) ? b.ToString("0.##", CultureInfo.InvariantCulture) : "none";
            bool over = budget.TryGetValue(name, out b) && bytes > b;
            if (over) failures++;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-18} {bytes,10:0.####} {limit,10} {rate,14:N0} {unit}s/s{(over ? "  OVER BUDGET" : "")}"));
        }

        foreach (var name in budget.Keys)
        {
            if (!results.Exists(r => r.Name == name))
            {
                output.WriteLine($"budget names {name}, which no workload measures");
                failures++;
            }
        }

        output.WriteLine(failures == 0 ? "budget: ok" : $"budget: {failures} over");
        return failures == 0 ? 0 : 1;
    }

    private static (string, double, double, string) Measure(string name, string unit, int unitsPerOp, Func<long> op, int repeat = 3)
    {
        op(); // warm up: JIT tiers, pools, dictionaries at size
        op();
        long best = long.MaxValue;
        long allocated = 0;
        var clock = new Stopwatch();
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            clock.Restart();
            for (int i = 0; i < repeat; i++) op();
            clock.Stop();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            best = Math.Min(best, clock.ElapsedTicks);
        }

        double units = (double)unitsPerOp * repeat;
        return (name, allocated / units, units / (best / (double)Stopwatch.Frequency), unit);
    }

    private static (string, double, double, string) SteadyState(Workloads w)
    {
        var table = w.NewSteadyTable(out double clock);
        const int Packets = 1_000_000;
        w.SteadyRound(table, ref clock, Packets);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        w.SteadyRound(table, ref clock, Packets);
        sw.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return ("steady-flow-update", allocated / (double)Packets, Packets / sw.Elapsed.TotalSeconds, "packet");
    }
}

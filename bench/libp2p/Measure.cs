using System.Diagnostics;

namespace SlipsP2P.Libp2p.Bench;

/// <summary>Wall time and this process's CPU time (user + system) of a measured section.</summary>
internal sealed class Measure
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _allocated = GC.GetTotalAllocatedBytes(precise: false);
    private readonly int _gen0 = GC.CollectionCount(0);
    private readonly int _gen1 = GC.CollectionCount(1);
    private readonly int _gen2 = GC.CollectionCount(2);
    private readonly long _jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
    private readonly TimeSpan _gcPause = GC.GetTotalPauseDuration();

    public TimeSpan Wall => Stopwatch.GetElapsedTime(_start);

    public TimeSpan Cpu => Process.GetCurrentProcess().TotalProcessorTime - _cpu;

    /// <summary>Bytes allocated, collections of each generation and methods JIT-compiled since the start.</summary>
    public MemoryCounts Memory => new(
        GC.GetTotalAllocatedBytes(precise: false) - _allocated,
        GC.CollectionCount(0) - _gen0,
        GC.CollectionCount(1) - _gen1,
        GC.CollectionCount(2) - _gen2,
        System.Runtime.JitInfo.GetCompiledMethodCount() - _jitMethods,
        GC.GetTotalPauseDuration() - _gcPause);

    /// <summary>
    /// Waits until tiered compilation has settled (no method compiled for 500 ms, at most 15 s), so that a measured
    /// section after a warm-up runs the code a long-running process runs rather than paying for tier-up.
    /// </summary>
    public static async Task WaitForJitAsync(CancellationToken cancellationToken)
    {
        long last = System.Runtime.JitInfo.GetCompiledMethodCount();
        long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 15;
        int quiet = 0;
        while (quiet < 5 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100, cancellationToken);
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }

    /// <summary>The 1-minute load average, for the record (the machine is shared).</summary>
    public static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>Polls <paramref name="done"/> until true; false when <paramref name="progress"/> stops changing for <paramref name="idle"/>.</summary>
    public static async Task<bool> WaitAsync(Func<bool> done, Func<long> progress, TimeSpan idle, CancellationToken cancellationToken)
    {
        long last = progress();
        long lastChange = Stopwatch.GetTimestamp();
        while (!done())
        {
            await Task.Delay(5, cancellationToken);
            long now = progress();
            if (now != last)
            {
                last = now;
                lastChange = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastChange) > idle)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Allocation and compilation counts of a measured section.</summary>
internal readonly record struct MemoryCounts(long AllocatedBytes, int Gen0, int Gen1, int Gen2, long JitMethods, TimeSpan GcPause);

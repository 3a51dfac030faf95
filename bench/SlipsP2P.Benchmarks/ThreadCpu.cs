using System.Runtime.InteropServices;

namespace SlipsP2P.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID), in nanoseconds. Unlike the process's CPU time it
/// leaves out the JIT's background compilation and other threads, and unlike wall time it does not count the time
/// the thread waited for a core, so numbers taken on a loaded machine stay comparable. Falls back to the process's
/// CPU time where the clock is not available.
/// </summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    private static readonly bool s_available = OperatingSystem.IsLinux() && TryRead(out _);

    /// <summary>True when the figures are the thread's own (else the process's).</summary>
    public static bool IsThreadClock => s_available;

    /// <summary>Nanoseconds of CPU used so far.</summary>
    public static long Nanoseconds()
    {
        if (s_available && TryRead(out long ns)) return ns;
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.TotalProcessorTime.Ticks * 100;
    }

    private static bool TryRead(out long nanoseconds)
    {
        nanoseconds = 0;
        try
        {
            if (ClockGetTime(ClockThreadCpuTime, out var ts) != 0) return false;
            nanoseconds = (ts.Seconds * 1_000_000_000L) + ts.Nanoseconds;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec value);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

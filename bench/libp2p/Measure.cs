using System.Diagnostics;

namespace SlipsP2P.Libp2p.Bench;

/// <summary>Wall time and this process's CPU time (user + system) of a measured section.</summary>
internal sealed class Measure
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

    public TimeSpan Wall => Stopwatch.GetElapsedTime(_start);

    public TimeSpan Cpu => Process.GetCurrentProcess().TotalProcessorTime - _cpu;

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

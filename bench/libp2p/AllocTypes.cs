using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace SlipsP2P.Libp2p.Bench;

/// <summary>
/// Where a measured section's allocations go, by type: the runtime's GCAllocationTick event (one per ~100 KB
/// allocated, naming the object that crossed the mark) summed per type, byte arrays split by size. Enabled with
/// SLIPS_BENCH_ALLOC_TYPES=1; printed on stderr per message of the burst.
/// </summary>
internal sealed class AllocTypes : EventListener
{
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _on;

    public static AllocTypes? FromEnvironment() => Environment.GetEnvironmentVariable("SLIPS_BENCH_ALLOC_TYPES") == "1" ? new AllocTypes() : null;

    public void Start() => _on = true;

    public void Stop() => _on = false;

    public string Report(long messages)
    {
        var sb = new StringBuilder();
        foreach (var (type, bytes) in _bytes.OrderByDescending(kv => kv.Value).Take(40))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{bytes / (double)Math.Max(1, messages),8:F1} B/msg  {type}\n");
        }

        return sb.ToString();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // GC keyword (0x1) at verbose level carries the allocation ticks.
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_on || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)) return;
        if (eventData.Payload is null || eventData.PayloadNames is null) return;
        int typeIndex = eventData.PayloadNames.IndexOf("TypeName");
        if (typeIndex < 0) return;
        int amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
        int sizeIndex = eventData.PayloadNames.IndexOf("ObjectSize");
        string type = eventData.Payload[typeIndex] as string ?? "?";
        long amount = amountIndex >= 0 ? Convert.ToInt64(eventData.Payload[amountIndex], CultureInfo.InvariantCulture) : 100_000;
        if (sizeIndex >= 0 && type == "System.Byte[]")
        {
            long size = Convert.ToInt64(eventData.Payload[sizeIndex], CultureInfo.InvariantCulture);
            type += size switch { < 128 => " <128 B", < 512 => " <512 B", < 4096 => " <4 KiB", < 65536 => " <64 KiB", < 300_000 => " <300 KB", _ => " >=300 KB" };
        }

        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }
}

namespace SlipsP2P.Core;

/// <summary>
/// Live capture settings (<c>slips -i IFACE</c>): the interface, Slips' BPF capture filter, and the sizes of the
/// kernel ring and of the bounded queue between the capture thread and the analysis thread.
/// </summary>
public sealed class CaptureOptions
{
    /// <summary>The largest kernel ring accepted, in megabytes.</summary>
    public const int MaxBufferMegabytes = 4096;

    /// <summary>The smallest snapshot length accepted: an Ethernet, IPv6 and TCP header with options.</summary>
    public const int MinSnaplen = 128;

    /// <summary>The largest snapshot length accepted (libpcap's MAXIMUM_SNAPLEN).</summary>
    public const int MaxSnaplen = 262144;

    /// <summary>The most batches the queue between capture and analysis may hold.</summary>
    public const int MaxQueueBatches = 4096;

    /// <summary>
    /// The interface captured live (<c>-i</c>), or null when the input is a file. Set by the command line only, not by
    /// the configuration file.
    /// </summary>
    public string? Interface { get; set; }

    /// <summary>
    /// True when the input is a live capture, that is when this process runs as a node: the clock is the wall clock,
    /// the input has no end, and periodic work (threat-intelligence feed refreshes) should run alongside it.
    /// </summary>
    public bool IsLive => Interface is not null;

    /// <summary>[parameters.pcapfilter] BPF capture filter (Slips' <c>-F</c>); empty for none.</summary>
    public string Filter { get; set; } = "";

    /// <summary>[parameters.capture_buffer_mb] megabytes of kernel ring (pcap_set_buffer_size); bursts are absorbed here.</summary>
    public int BufferMegabytes { get; set; } = 64;

    /// <summary>
    /// [parameters.capture_snaplen] bytes kept of each packet (pcap_set_snaplen). The default keeps whole packets, so a
    /// DNS answer or a TLS ClientHello is never cut.
    /// </summary>
    public int Snaplen { get; set; } = 65535;

    /// <summary>[parameters.capture_queue_batches] packet batches the queue to the analysis thread holds before it drops (counted).</summary>
    public int QueueBatches { get; set; } = 64;

    /// <summary>[parameters.capture_stats_interval] seconds between the capture's progress lines (counters, drops).</summary>
    public double StatsInterval { get; set; } = 10;

    /// <summary>Checks the values; returns the problems, empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Interface is { } i && (i.Length == 0 || i.Length > 255)) errors.Add($"{nameof(Interface)} (-i) must be an interface name, got '{i}'");
        if (BufferMegabytes is < 1 or > MaxBufferMegabytes) errors.Add($"{nameof(BufferMegabytes)} (parameters.capture_buffer_mb) must be 1 to {MaxBufferMegabytes}, got {BufferMegabytes}");
        if (Snaplen is < MinSnaplen or > MaxSnaplen) errors.Add($"{nameof(Snaplen)} (parameters.capture_snaplen) must be {MinSnaplen} to {MaxSnaplen}, got {Snaplen}");
        if (QueueBatches is < 1 or > MaxQueueBatches) errors.Add($"{nameof(QueueBatches)} (parameters.capture_queue_batches) must be 1 to {MaxQueueBatches}, got {QueueBatches}");
        if (!(StatsInterval > 0) || double.IsInfinity(StatsInterval)) errors.Add($"{nameof(StatsInterval)} (parameters.capture_stats_interval) must be positive, got {StatsInterval}");
        return errors;
    }
}

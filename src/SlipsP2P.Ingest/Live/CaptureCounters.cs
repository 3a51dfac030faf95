namespace SlipsP2P.Ingest.Live;

/// <summary>
/// A snapshot of a live capture's counters: libpcap's (pcap_stats: ps_recv, ps_drop, ps_ifdrop, as the kernel counts
/// them since the capture opened) and the node's own (packets read from libpcap, packets dropped because the queue to
/// the analysis was full, packets analysed).
/// </summary>
/// <param name="Received">ps_recv: packets that passed the filter (on Linux, including those the kernel then dropped).</param>
/// <param name="KernelDropped">ps_drop: packets dropped because the kernel ring was full (the node read too slowly).</param>
/// <param name="InterfaceDropped">ps_ifdrop: packets the interface or driver dropped (where the platform reports it).</param>
/// <param name="Captured">Packets the capture thread read from libpcap.</param>
/// <param name="QueueDropped">Packets dropped by the node because the queue to the analysis thread was full.</param>
/// <param name="Analysed">Packets the analysis thread processed.</param>
public readonly record struct CaptureCounters(long Received, long KernelDropped, long InterfaceDropped, long Captured, long QueueDropped, long Analysed)
{
    /// <summary>Packets lost anywhere between the interface and the analysis.</summary>
    public long Lost => KernelDropped + InterfaceDropped + QueueDropped;

    /// <summary>The share of packets lost, in percent of those that reached the capture.</summary>
    public double LossPercent
    {
        get
        {
            long seen = Captured + KernelDropped + InterfaceDropped;
            return seen == 0 ? 0 : 100.0 * Lost / seen;
        }
    }
}

namespace SlipsP2P.Detection.Detectors.FlowMl;

/// <summary>
/// The per-flow features of the flow classifier (in the spirit of Slips' flowmldetection): duration, protocol, ports,
/// bytes and packets each way, state. Sizes and durations enter as log(1 + x) so that one huge flow does not
/// dominate; ports as a few ranges, since a port number has no order. Computed into a caller's span, no allocation.
/// </summary>
public static class FlowFeatures
{
    /// <summary>Feature names, in order.</summary>
    public static readonly string[] Names =
    [
        "log_duration", "tcp", "udp", "icmp", "log_src_bytes", "log_dst_bytes", "log_src_packets", "log_dst_packets",
        "dport_well_known", "dport_ephemeral", "sport_well_known", "established", "state_attempt", "state_rejected",
        "state_reset", "bytes_ratio",
    ];

    /// <summary>Number of features.</summary>
    public static int Count => Names.Length;

    /// <summary>Writes the features of <paramref name="flow"/> into <paramref name="destination"/> (at least <see cref="Count"/> long).</summary>
    public static void Compute(FlowRecord flow, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (destination.Length < Names.Length) throw new ArgumentException("destination too short", nameof(destination));
        double duration = double.IsFinite(flow.Duration) && flow.Duration > 0 ? flow.Duration : 0;
        long sb = Math.Max(0, flow.SourceBytes), db = Math.Max(0, flow.DestinationBytes);
        destination[0] = (float)Math.Log(1 + duration);
        destination[1] = flow.Protocol == Protocol.Tcp ? 1 : 0;
        destination[2] = flow.Protocol == Protocol.Udp ? 1 : 0;
        destination[3] = flow.Protocol is Protocol.Icmp or Protocol.Icmp6 ? 1 : 0;
        destination[4] = (float)Math.Log(1 + sb);
        destination[5] = (float)Math.Log(1 + db);
        destination[6] = (float)Math.Log(1 + Math.Max(0, flow.SourcePackets));
        destination[7] = (float)Math.Log(1 + Math.Max(0, flow.DestinationPackets));
        destination[8] = flow.DestinationPort < 1024 ? 1 : 0;
        destination[9] = flow.DestinationPort >= 49152 ? 1 : 0;
        destination[10] = flow.SourcePort < 1024 ? 1 : 0;
        destination[11] = flow.Established ? 1 : 0;
        destination[12] = flow.State is ConnState.S0 or ConnState.SH or ConnState.RSTOS0 ? 1 : 0;
        destination[13] = flow.State == ConnState.REJ ? 1 : 0;
        destination[14] = flow.State is ConnState.RSTO or ConnState.RSTR or ConnState.RSTRH ? 1 : 0;
        destination[15] = (float)((sb + 1.0) / (sb + db + 2.0));
    }

    /// <summary>1 for a malicious label, 0 for a benign one, -1 when the label says neither (unknown, background, empty).</summary>
    public static int LabelClass(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Length == 0) return -1;
        if (label.Contains("malicious", StringComparison.OrdinalIgnoreCase) || label.Contains("botnet", StringComparison.OrdinalIgnoreCase)
            || label.Contains("malware", StringComparison.OrdinalIgnoreCase) || label.Contains("attack", StringComparison.OrdinalIgnoreCase)) return 1;
        if (label.Contains("benign", StringComparison.OrdinalIgnoreCase) || label.Contains("normal", StringComparison.OrdinalIgnoreCase)) return 0;
        return -1;
    }
}

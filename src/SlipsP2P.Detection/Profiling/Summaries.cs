namespace SlipsP2P.Detection;

/// <summary>One profile in one time window, for <c>-D</c>-style output.</summary>
/// <param name="Profile">The profile's IP.</param>
/// <param name="TimeWindow">1-based window number.</param>
/// <param name="WindowStart">Window start, unix seconds.</param>
/// <param name="WindowEnd">Window end, unix seconds.</param>
/// <param name="Flows">Flows the profile originated.</param>
/// <param name="Bytes">Payload bytes of those flows, both ways.</param>
/// <param name="DistinctDestinationIps">Distinct destination IPs (counting stops at the cap, see <paramref name="Dropped"/>).</param>
/// <param name="DistinctDestinationPorts">Distinct destination ports.</param>
/// <param name="InboundFlows">Flows towards the profile (only with <see cref="AnalysisDirection.All"/>).</param>
/// <param name="InboundBytes">Payload bytes of the inbound flows.</param>
/// <param name="DistinctSourceIps">Distinct IPs that contacted the profile (only with <see cref="AnalysisDirection.All"/>).</param>
/// <param name="Dropped">Distinct values not counted because a cap was reached.</param>
public sealed record ProfileSummary(
    IpAddr Profile,
    int TimeWindow,
    double WindowStart,
    double WindowEnd,
    long Flows,
    long Bytes,
    int DistinctDestinationIps,
    int DistinctDestinationPorts,
    long InboundFlows,
    long InboundBytes,
    int DistinctSourceIps,
    long Dropped);

/// <summary>Which way a tuple looks from its profile.</summary>
public enum TupleDirection
{
    /// <summary>The profile was the source; <see cref="TupleSummary.Address"/> is the destination.</summary>
    Out,
    /// <summary>The profile was the destination; <see cref="TupleSummary.Address"/> is the source.</summary>
    In,
}

/// <summary>One tuple (profile, other IP, destination port, protocol) in one window with its behavioural letters, for <c>-p</c>.</summary>
/// <param name="Profile">The profile's IP.</param>
/// <param name="TimeWindow">1-based window number.</param>
/// <param name="Direction">Out: the profile connected to <paramref name="Address"/>; In: it was contacted by it.</param>
/// <param name="Address">The other end.</param>
/// <param name="Port">Destination port (ICMP: the code, Zeek's convention).</param>
/// <param name="Protocol">Transport protocol.</param>
/// <param name="Letters">The Stratosphere letters, at most <see cref="Behaviour.TupleLetters.MaxLength"/> characters.</param>
/// <param name="Flows">Flows in the tuple.</param>
/// <param name="Truncated">True when later letters were not kept.</param>
public sealed record TupleSummary(
    IpAddr Profile,
    int TimeWindow,
    TupleDirection Direction,
    IpAddr Address,
    ushort Port,
    Protocol Protocol,
    string Letters,
    long Flows,
    bool Truncated)
{
    /// <summary>Slips' tuple id: "ip-port-proto".</summary>
    public string TupleId => $"{Address}-{Port}-{Protocol.ToName()}";
}

/// <summary>Counters of one pipeline run.</summary>
public sealed class PipelineStats
{
    /// <summary>Records received (flows and others).</summary>
    public long Records { get; internal set; }

    /// <summary>Flows received.</summary>
    public long Flows { get; internal set; }

    /// <summary>Distinct profiles seen.</summary>
    public long Profiles { get; internal set; }

    /// <summary>Evidence raised and passed to the sink.</summary>
    public long Evidence { get; internal set; }

    /// <summary>Alerts fired.</summary>
    public long Alerts { get; internal set; }

    /// <summary>Flows ignored because the whitelist says so.</summary>
    public long WhitelistedFlows { get; internal set; }

    /// <summary>Evidence dropped because the whitelist says so.</summary>
    public long WhitelistedEvidence { get; internal set; }

    /// <summary>Evidence dropped because its type is in <see cref="AnalysisOptions.DisabledDetections"/>.</summary>
    public long DisabledEvidence { get; internal set; }

    /// <summary>Distinct values, tuples or profiles not tracked because a memory cap was reached.</summary>
    public long Dropped { get; internal set; }

    /// <summary>Non-flow records ignored because the whitelist says so.</summary>
    public long WhitelistedRecords { get; internal set; }

    /// <summary>Records skipped because their timestamp was not a finite number.</summary>
    public long Skipped { get; internal set; }

    /// <summary>Times a detector threw; the record was still handled by the others.</summary>
    public long DetectorErrors { get; internal set; }

    /// <summary>Time windows whose state was evicted.</summary>
    public long EvictedWindows { get; internal set; }
}

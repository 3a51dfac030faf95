namespace SlipsP2P.Core;

/// <summary>Which side of the traffic an evidence's attacker was on (Slips: only SRC evidence counts to alerts).</summary>
public enum AttackerDirection
{
    Source,
    Destination,
}

/// <summary>
/// One detection: a typed observation about an attacker in a time window, weighted by threat level x confidence.
/// Evidence accumulates per profile per window in the evidence engine until an alert fires.
/// </summary>
public sealed class Evidence
{
    /// <summary>Largest number of flow uids kept per evidence (Slips issue #950: unbounded uid lists caused OOMs).</summary>
    public const int MaxUids = 64;

    /// <summary>A UUID, as IDMEFv2 wants.</summary>
    public string Id { get; init; } = Guid.NewGuid().ToString();

    /// <summary>Slips' evidence type name, see <see cref="EvidenceTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>Human description, Slips-like.</summary>
    public required string Description { get; init; }

    /// <summary>The attacker's address; the profile the evidence counts towards.</summary>
    public required IpAddr Attacker { get; init; }

    /// <summary>Whether the attacker was the source of the traffic (counts towards alerts) or its destination.</summary>
    public AttackerDirection Direction { get; init; } = AttackerDirection.Source;

    /// <summary>The victim, when there is one.</summary>
    public IpAddr Victim { get; init; }

    /// <summary>Attacker as a domain or other non-IP IoC (threat intelligence), else empty.</summary>
    public string AttackerIoc { get; init; } = "";

    public required ThreatLevel ThreatLevel { get; init; }

    /// <summary>Confidence in [0, 1].</summary>
    public required double Confidence { get; init; }

    /// <summary>Traffic time of the evidence (unix seconds): the last flow that made it.</summary>
    public required double Timestamp { get; init; }

    /// <summary>Time-window number (1-based), set by the evidence engine.</summary>
    public int TimeWindow { get; set; }

    /// <summary>Flow uids that contributed (at most <see cref="MaxUids"/>).</summary>
    public IReadOnlyList<string> Uids { get; init; } = Array.Empty<string>();

    public Protocol Protocol { get; init; } = Protocol.Other;

    /// <summary>Destination port involved, 0 when none.</summary>
    public ushort Port { get; init; }

    /// <summary>IDMEFv2 analyzer method: Heuristic, Statistic, Model, Threat Intelligence...</summary>
    public string Method { get; init; } = "Heuristic";

    /// <summary>The weight this evidence adds to its profile's window: threat level value x confidence.</summary>
    public double Weight => ThreatLevel.Value() * Math.Clamp(Confidence, 0, 1);
}

/// <summary>An alert: enough evidence on one profile in one time window.</summary>
public sealed class Alert
{
    public string Id { get; init; } = Guid.NewGuid().ToString();
    public required IpAddr Profile { get; init; }
    public required int TimeWindow { get; init; }
    public required double WindowStart { get; init; }
    public required double WindowEnd { get; init; }
    /// <summary>Traffic time of the evidence that crossed the threshold.</summary>
    public required double Timestamp { get; init; }
    public required double AccumulatedThreatLevel { get; init; }
    /// <summary>The threshold that was in force for this profile (after the network-opinion factor).</summary>
    public required double Threshold { get; init; }
    public required IReadOnlyList<Evidence> Evidence { get; init; }
}

/// <summary>Slips' evidence type names (slips_files/core/structures/evidence.py).</summary>
public static class EvidenceTypes
{
    public const string VerticalPortScan = "VERTICAL_PORT_SCAN";
    public const string HorizontalPortScan = "HORIZONTAL_PORT_SCAN";
    public const string PasswordGuessing = "PASSWORD_GUESSING";
    public const string IcmpAddressScan = "ICMP_ADDRESS_SCAN";
    public const string IcmpTimestampScan = "ICMP_TIMESTAMP_SCAN";
    public const string IcmpAddressMaskScan = "ICMP_ADDRESS_MASK_SCAN";
    public const string DhcpScan = "DHCP_SCAN";
    public const string LongConnection = "LONG_CONNECTION";
    public const string SshSuccessful = "SSH_SUCCESSFUL";
    public const string MultipleReconnectionAttempts = "MULTIPLE_RECONNECTION_ATTEMPTS";
    public const string UnknownPort = "UNKNOWN_PORT";
    public const string CommandAndControlChannel = "COMMAND_AND_CONTROL_CHANNEL";
    public const string MaliciousFlow = "MALICIOUS_FLOW";
    public const string ArpScan = "ARP_SCAN";
    public const string P2PReport = "P2P_REPORT";
    public const string MaliciousIpFromP2PNetwork = "MALICIOUS_IP_FROM_P2P_NETWORK";
}

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
    public const string ConnectionWithoutDns = "CONNECTION_WITHOUT_DNS";
    public const string DnsWithoutConnection = "DNS_WITHOUT_CONNECTION";
    public const string DataUpload = "DATA_UPLOAD";
    public const string NxdomainBurst = "DGA_NXDOMAINS";
    public const string HighEntropyDnsAnswer = "HIGH_ENTROPY_DNS_ANSWER";
    public const string NonHttpPort80Connection = "NON_HTTP_PORT_80_CONNECTION";
    public const string NonSslPort443Connection = "NON_SSL_PORT_443_CONNECTION";
    public const string SelfSignedCertificate = "SELF_SIGNED_CERTIFICATE";
    public const string IncompatibleCn = "INCOMPATIBLE_CN";
    public const string CnUrlMismatch = "CN_URL_MISMATCH";
    public const string MaliciousJa3 = "MALICIOUS_JA3";
    public const string MaliciousJa3s = "MALICIOUS_JA3S";
    public const string UnsolicitedArp = "UNSOLICITED_ARP";
    public const string ArpOutsideLocalnet = "ARP_OUTSIDE_LOCALNET";
    public const string ConnectionToPrivateIp = "CONNECTION_TO_PRIVATE_IP";
    public const string Port0Connection = "PORT_0_CONNECTION";
    public const string SmtpLoginBruteforce = "SMTP_LOGIN_BRUTEFORCE";
    public const string BadSmtpLogin = "BAD_SMTP_LOGIN";
    public const string Login = "LOGIN";
    public const string ThreatIntelligenceToBlacklistedIp = "THREAT_INTELLIGENCE_TO_BLACKLISTED_IP";
    public const string ThreatIntelligenceFromBlacklistedIp = "THREAT_INTELLIGENCE_FROM_BLACKLISTED_IP";
    public const string ThreatIntelligenceBlacklistedDomain = "THREAT_INTELLIGENCE_BLACKLISTED_DOMAIN";
    public const string ThreatIntelligenceBlacklistedDnsAnswer = "THREAT_INTELLIGENCE_BLACKLISTED_DNS_ANSWER";
    public const string ThreatIntelligenceBlacklistedAsn = "THREAT_INTELLIGENCE_BLACKLISTED_ASN";
}

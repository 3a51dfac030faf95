namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>One indicator's metadata: where it came from, its threat level and description.</summary>
/// <param name="Source">The file or feed that listed it.</param>
/// <param name="ThreatLevel">The feed's (or the line's) threat level.</param>
/// <param name="Description">The line's description, or the feed's tags.</param>
public sealed record IocInfo(string Source, ThreatLevel ThreatLevel, string Description);

/// <summary>What kind of indicator a match was on.</summary>
public enum IocKind
{
    Ip,
    Range,
    Domain,
    Ja3,
    Asn,
}

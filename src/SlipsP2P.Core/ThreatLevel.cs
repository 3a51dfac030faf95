namespace SlipsP2P.Core;

/// <summary>Slips' threat levels; the numeric value is the weight used in evidence accumulation.</summary>
public enum ThreatLevel
{
    Info = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

/// <summary>Conversions for <see cref="ThreatLevel"/>.</summary>
public static class ThreatLevels
{
    /// <summary>The numeric weight: info 0, low 0.2, medium 0.5, high 0.8, critical 1.</summary>
    public static double Value(this ThreatLevel level) => level switch
    {
        ThreatLevel.Info => 0,
        ThreatLevel.Low => 0.2,
        ThreatLevel.Medium => 0.5,
        ThreatLevel.High => 0.8,
        ThreatLevel.Critical => 1,
        _ => 0,
    };

    /// <summary>Lower-case name as Slips prints it.</summary>
    public static string ToName(this ThreatLevel level) => level switch
    {
        ThreatLevel.Info => "info",
        ThreatLevel.Low => "low",
        ThreatLevel.Medium => "medium",
        ThreatLevel.High => "high",
        _ => "critical",
    };

    /// <summary>Slips' score-to-level banding: ≤0 info, ≤0.2 low, ≤0.5 medium, ≤0.8 high, else critical.</summary>
    public static ThreatLevel FromScore(double score) =>
        score <= 0 ? ThreatLevel.Info : score <= 0.2 ? ThreatLevel.Low : score <= 0.5 ? ThreatLevel.Medium
        : score <= 0.8 ? ThreatLevel.High : ThreatLevel.Critical;

    /// <summary>Parses a name (case-insensitive); unknown names return false.</summary>
    public static bool TryParse(string name, out ThreatLevel level) =>
        Enum.TryParse(name, ignoreCase: true, out level) && Enum.IsDefined(level);
}

namespace SlipsP2P.Core;

/// <summary>
/// The seam between local detection and the collaboration: a per-profile factor applied to the alert threshold.
/// 1 leaves the threshold as configured; below 1 lowers it (the network thinks the IP is bad), above 1 raises it.
/// </summary>
public interface IThresholdFactor
{
    /// <summary>The factor for <paramref name="profile"/> at traffic time <paramref name="timestamp"/>; must be positive.</summary>
    double FactorFor(IpAddr profile, double timestamp);
}

/// <summary>The factor that changes nothing (no network opinion).</summary>
public sealed class NeutralThresholdFactor : IThresholdFactor
{
    /// <summary>The single instance.</summary>
    public static readonly NeutralThresholdFactor Instance = new();

    public double FactorFor(IpAddr profile, double timestamp) => 1.0;
}

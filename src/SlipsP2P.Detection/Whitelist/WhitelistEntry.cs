namespace SlipsP2P.Detection;

/// <summary>The whitelist's IoC types.</summary>
public enum WhitelistIocType
{
    Ip,
    Domain,
    Organization,
    Mac,
}

/// <summary>Which role of the IoC the entry covers (whitelist column Direction).</summary>
[Flags]
public enum WhitelistDirection
{
    /// <summary>The IoC as the source of a flow, or as an attacker that was the source.</summary>
    Src = 1,
    /// <summary>The IoC as the destination of a flow.</summary>
    Dst = 2,
    /// <summary>Either.</summary>
    Both = Src | Dst,
}

/// <summary>What the entry ignores (whitelist column IgnoreType).</summary>
[Flags]
public enum WhitelistIgnore
{
    /// <summary>Evidence and alerts about the IoC.</summary>
    Alerts = 1,
    /// <summary>Flows from or to the IoC, which are then not analysed at all.</summary>
    Flows = 2,
    /// <summary>Both.</summary>
    Both = Alerts | Flows,
}

/// <summary>One active whitelist line.</summary>
/// <param name="Type">IoC type.</param>
/// <param name="Value">The value, normalised (lower-case domain, canonical IP or CIDR, colon-separated MAC, organization name).</param>
/// <param name="Direction">Roles covered.</param>
/// <param name="Ignore">What is ignored.</param>
/// <param name="Source">"file:line" of the entry.</param>
public sealed record WhitelistEntry(WhitelistIocType Type, string Value, WhitelistDirection Direction, WhitelistIgnore Ignore, string Source)
{
    /// <summary>True when the entry covers <paramref name="role"/> and ignores <paramref name="what"/>.</summary>
    public bool Covers(WhitelistDirection role, WhitelistIgnore what) => (Direction & role) != 0 && (Ignore & what) != 0;
}

using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Login;

/// <summary>
/// Remote logins (telnet, rlogin, rsh) from Zeek login.log or recognised in captures: every login is LOGIN evidence
/// (Slips' login analyzer: INFO, confidence 1, "successful", "failed" or "unknown" as the server's text tells), and
/// <see cref="FlowAlertOptions.LoginBruteforceThreshold"/> failed logins from one client to one server within
/// <see cref="FlowAlertOptions.LoginBruteforceSeconds"/> make PASSWORD_GUESSING (MEDIUM, 0.8; Slips has no telnet
/// brute force, this is ours), after which the count starts over. O(1) per record.
/// </summary>
public sealed class LoginDetector : HeuristicDetector
{
    /// <summary>Client/server pairs tracked per window.</summary>
    public const int MaxPairsPerWindow = 65536;

    private readonly WindowedStore<(IpAddr, IpAddr), FailureBurst> _store = new(static () => new FailureBurst(), MaxPairsPerWindow);

    public override string Name => "login";

    public override RecordKinds HandledKinds => RecordKinds.Login;

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (record is not LoginRecord login || login.Source.IsNone || login.Destination.IsNone) return;
        string status = login.Success switch
        {
            true => "successful",
            false => "failed",
            null => "unknown",
        };
        string service = login.Service.Length > 0 ? login.Service : "login";
        string user = login.User.Length > 0 ? $" for user {Bounded(login.User)}" : "";
        ctx.Raise(Make(login, EvidenceTypes.Login, ThreatLevel.Info, 1.0,
            $"{status} {service} login{user}. destination IP: {login.Destination}.", Protocol.Tcp));
        if (login.Success != false) return;

        var burst = _store.GetOrCreate(ctx.TimeWindow, (login.Source, login.Destination));
        var options = ctx.Options.FlowAlerts;
        if (burst is null || !burst.Add(login.Timestamp, login.Uid, options.LoginBruteforceThreshold, options.LoginBruteforceSeconds, out var uids)) return;
        ctx.Raise(Make(login, EvidenceTypes.PasswordGuessing, ThreatLevel.Medium, 0.8,
            $"{service} password guessing from {login.Source} to {login.Destination} on port {login.DestinationPort}/tcp: "
            + $"{options.LoginBruteforceThreshold} failed logins within {Addresses.FormatConfidence(options.LoginBruteforceSeconds)} seconds. Confidence: 0.8.",
            Protocol.Tcp, uids));
    }

    public override void EvictBefore(int window) => _store.EvictBefore(window);

    private static string Bounded(string s) => s.Length > 64 ? s[..64] : s;
}

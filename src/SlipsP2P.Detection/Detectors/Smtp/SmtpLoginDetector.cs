using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Detectors.FlowAlerts;
using SlipsP2P.Detection.Detectors.Login;

namespace SlipsP2P.Detection.Detectors.Smtp;

/// <summary>
/// Bad SMTP logins and SMTP login brute force (Slips' flow_alerts smtp analyzer), from SMTP transactions (Zeek
/// smtp.log): a transaction whose server's last reply refuses the client's authentication is BAD_SMTP_LOGIN (HIGH,
/// confidence 1); <see cref="FlowAlertOptions.SmtpBruteforceThreshold"/> of them from one client to one server within
/// <see cref="FlowAlertOptions.SmtpBruteforceSeconds"/> make SMTP_LOGIN_BRUTEFORCE (HIGH, 1), after which the count
/// starts over. O(1) per record.
/// </summary>
public sealed class SmtpLoginDetector : HeuristicDetector
{
    /// <summary>Client/server pairs tracked per window.</summary>
    public const int MaxPairsPerWindow = 65536;

    private readonly WindowedStore<(IpAddr, IpAddr), FailureBurst> _store = new(static () => new FailureBurst(), MaxPairsPerWindow);

    public override string Name => "smtp_login";

    public override RecordKinds HandledKinds => RecordKinds.Smtp;

    /// <summary>
    /// True when an SMTP reply refuses a login: Slips' "bad smtp-auth user", RFC 4954's 535 (5.7.8 authentication
    /// credentials invalid) and the "authentication failed" texts servers put after other codes.
    /// </summary>
    public static bool IsBadLogin(ReadOnlySpan<char> reply)
    {
        var r = reply.Trim();
        if (r.Length < 3) return false;
        if (r.StartsWith("535") || r.Contains("5.7.8", StringComparison.Ordinal)) return true;
        if (r[0] is not ('4' or '5')) return false;
        return r.Contains("bad smtp-auth", StringComparison.OrdinalIgnoreCase)
               || r.Contains("authentication failed", StringComparison.OrdinalIgnoreCase)
               || r.Contains("authentication failure", StringComparison.OrdinalIgnoreCase)
               || r.Contains("authentication credentials invalid", StringComparison.OrdinalIgnoreCase)
               || r.Contains("invalid credentials", StringComparison.OrdinalIgnoreCase);
    }

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (record is not SmtpRecord smtp || smtp.Source.IsNone || !IsBadLogin(smtp.LastReply)) return;
        ctx.Raise(Make(smtp, EvidenceTypes.BadSmtpLogin, ThreatLevel.High, 1.0,
            $"doing bad SMTP login to {smtp.Destination}. Server reply: {Reply(smtp.LastReply)}.", Protocol.Tcp));

        var burst = _store.GetOrCreate(ctx.TimeWindow, (smtp.Source, smtp.Destination));
        var options = ctx.Options.FlowAlerts;
        if (burst is null || !burst.Add(smtp.Timestamp, smtp.Uid, options.SmtpBruteforceThreshold, options.SmtpBruteforceSeconds, out var uids)) return;
        ctx.Raise(Make(smtp, EvidenceTypes.SmtpLoginBruteforce, ThreatLevel.High, 1.0,
            $"doing SMTP login bruteforce to {smtp.Destination}. {options.SmtpBruteforceThreshold} logins in {Addresses.FormatConfidence(options.SmtpBruteforceSeconds)} seconds.",
            Protocol.Tcp, uids));
    }

    public override void EvictBefore(int window) => _store.EvictBefore(window);

    private static string Reply(string reply) => reply.Length > 120 ? reply[..120] : reply;
}

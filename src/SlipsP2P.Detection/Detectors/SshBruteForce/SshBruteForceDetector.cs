using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using SlipsP2P.Detection.Collections;
using SlipsP2P.Detection.Profiling;

namespace SlipsP2P.Detection.Detectors.SshBruteForce;

/// <summary>
/// SSH password guessing (Slips' <c>modules/brute_force_detector</c>): counts failed SSH attempts from a profile to
/// one server (IP and port) in a time window, from Zeek ssh.log records and from the flows themselves, and reports
/// at <see cref="DetectorOptions.SshAttemptThreshold"/> attempts and then sparsely (9, 10, 12, 16, 24, 40 ... with
/// the default threshold: each report doubles the step). A Zeek <c>SSH::Password_Guessing</c> notice raises the
/// evidence too and confirms the campaign.
/// </summary>
public sealed partial class SshBruteForceDetector : IDetector
{
    /// <summary>Servers tracked per profile and window.</summary>
    public const int MaxCampaignsPerProfile = 1024;

    /// <summary>Profiles tracked per window.</summary>
    public const int MaxProfilesPerWindow = 262144;

    /// <summary>Uids remembered per campaign so that a flow and its ssh.log record are not both counted.</summary>
    public const int MaxUidsPerCampaign = 4096;

    /// <summary>Servers known to speak SSH on a port other than 22.</summary>
    public const int MaxKnownServers = 65536;

    /// <summary>First attempts waiting for a second one at most (more make campaigns at once).</summary>
    public const int MaxFirstAttempts = 262144;

    private static readonly string[] s_automationBanners =
        ["libssh", "paramiko", "hydra", "medusa", "ncrack", "net::ssh", "net-ssh", "asyncssh", "jsch", "sshj", "nmap"];

    private static readonly string[] s_clientBanners = ["openssh", "putty", "dropbear", "winscp"];

    private readonly WindowedStore<IpAddr, ProfileCampaigns> _state = new(static () => new ProfileCampaigns(), MaxProfilesPerWindow);
    private readonly BoundedSet<(IpAddr, ushort)> _sshServers = new(MaxKnownServers);
    private readonly ContainsMemo _sshService = new("ssh");

    // Most (profile, server, port) keys see one connection in a window (a client logging in once), often twice: its ssh.log
    // record (a capture's banner) and its flow. Such a first attempt, IPv4 with a packed uid, counted 1 and when one
    // attempt cannot be reported, waits here in 48 bytes with its key, where a campaign cost about 240 (its object, uid
    // counts and list, and its entry in the profile's dictionary; issue 5: 7,431 campaigns on the 2M-packet generated
    // capture); the same connection again changes nothing, and another event makes the campaign the first would have
    // made, then counts as before.
    private readonly FlatMap<V4TupleKey, FirstAttempt, V4TupleKeyOps> _firsts = new();

    public string Name => "ssh_brute_force";

    public RecordKinds HandledKinds => RecordKinds.Flow | RecordKinds.Ssh | RecordKinds.Notice;

    public void OnFlow(FlowRecord flow, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ctx);
        if (flow.Protocol != Protocol.Tcp || !flow.Established || flow.Source.IsNone) return;
        bool ssh = flow.DestinationPort == 22
                   || _sshService.In(flow.Service)
                   || (_sshServers.Count > 0 && _sshServers.Contains((flow.Destination, flow.DestinationPort)));
        if (!ssh) return;

        // Slips' size heuristic: more than SshSuccessfulBytes in total means a session that logged in.
        if (flow.TotalBytes > ctx.Detectors.SshSuccessfulBytes) return;
        Count(ctx, flow.Source, flow.Destination, flow.DestinationPort, flow, 1, flow.Timestamp, banner: "", success: false);
    }

    public void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(ctx);
        switch (record)
        {
            case SshRecord ssh:
                OnSsh(ssh, ctx);
                break;
            case NoticeRecord notice when notice.Note.Contains("Password_Guessing", StringComparison.Ordinal):
                OnNotice(notice, ctx);
                break;
        }
    }

    public void OnFinish(DetectionContext ctx)
    {
    }

    public void EvictBefore(int window)
    {
        _state.EvictBefore(window);
        _firsts.RemoveWhere(static (_, first, before) => first.Window < before, window);
    }

    /// <summary>First attempts waiting for a second (for tests and statistics).</summary>
    internal int WaitingFirstAttempts => _firsts.Count;

    /// <summary>Slips' reporting bucket: -1 below the threshold, then floor(log2(attempts - threshold + 1)).</summary>
    public static int Bucket(int attempts, int threshold) =>
        attempts < threshold ? -1 : (int)Math.Floor(Math.Log2(Math.Max(1, attempts - threshold + 1)));

    /// <summary>
    /// Slips' confidence: 0.5 at the threshold growing linearly to 0.9 just before full-confidence attempts, plus a
    /// small bonus for a known client banner (more for automation tools), at most 0.99; 1 from full-confidence
    /// attempts on.
    /// </summary>
    public static double Confidence(int attempts, int threshold, int fullConfidenceAttempts, string banner)
    {
        int full = Math.Max(threshold, fullConfidenceAttempts);
        if (attempts >= full) return 1.0;
        double ratio = Math.Min(1.0, Math.Max(0, attempts - threshold) / (double)Math.Max(1, full - threshold));
        double confidence = 0.5 + (0.4 * ratio) + BannerBonus(banner);
        return Math.Round(Math.Min(0.99, confidence), 2);
    }

    private static double BannerBonus(string banner)
    {
        if (string.IsNullOrEmpty(banner)) return 0;
        foreach (var token in s_automationBanners)
        {
            if (banner.Contains(token, StringComparison.OrdinalIgnoreCase)) return 0.07;
        }

        foreach (var token in s_clientBanners)
        {
            if (banner.Contains(token, StringComparison.OrdinalIgnoreCase)) return 0.02;
        }

        return 0;
    }

    private void OnSsh(SshRecord ssh, DetectionContext ctx)
    {
        if (ssh.Source.IsNone || ssh.Destination.IsNone) return;
        // Port 22 is SSH for every flow already: only servers elsewhere are remembered, so that a capture whose SSH is
        // all on 22 leaves the set empty and its flows skip the lookup (issue 5: 1% of a pinned capture's samples).
        if (ssh.DestinationPort != 22) _sshServers.Add((ssh.Destination, ssh.DestinationPort));
        int increment = ssh.AuthSuccess == true ? 0 : Math.Max(1, ssh.AuthAttempts);
        Count(ctx, ssh.Source, ssh.Destination, ssh.DestinationPort, ssh, increment, ssh.Timestamp, ssh.Client, ssh.AuthSuccess == true);
    }

    // The connection's uid is taken from its record (hashed, and kept packed in the campaign's list): the flows that
    // carry their uid packed make no uid text here.
    private void Count(DetectionContext ctx, IpAddr source, IpAddr server, ushort port, NetEvent connection, int increment, double timestamp, string banner, bool success)
    {
        int threshold = ctx.Detectors.SshAttemptThreshold;
        var key = (server, port);
        if (PackedKeys.TryTuple(source, server, port, Protocol.Tcp, out var firstKey))
        {
            ref var first = ref _firsts.GetValueRefOrNullRef(firstKey);
            bool waiting = !Unsafe.IsNullRef(ref first) && first.Window == ctx.TimeWindow;
            if (waiting && increment <= 1 && !success && connection.TryGetPackedUid(out var again) && again == first.Uid)
            {
                // The same connection again (its ssh.log record and its flow): counted already, as a campaign would
                // have found it in its uid counts; only a banner is taken, as a campaign takes it.
                if (banner.Length > 0) first = first with { Banner = Truncated(banner) };
                return;
            }

            if (!Unsafe.IsNullRef(ref first))
            {
                // The key's next event in the window: the campaign first, as its first attempt made it. One of a past
                // window is only dropped (its campaign would have gone with that window).
                var attempt = first;
                _firsts.Remove(firstKey);
                if (waiting) MakeCampaign(ctx, source, key, attempt);
            }

            if (!waiting && increment == 1 && !success && threshold > 1 && _firsts.Count < MaxFirstAttempts
                     && connection.TryGetPackedUid(out var packed) && !packed.IsEmpty
                     && _state.Get(ctx.TimeWindow, source)?.Campaigns.ContainsKey(key) != true)
            {
                _firsts.Set(firstKey, new FirstAttempt(ctx.TimeWindow, packed, banner.Length > 0 ? Truncated(banner) : ""));
                return;
            }
        }

        var profile = _state.GetOrCreate(ctx.TimeWindow, source);
        if (profile is null) return;
        if (!profile.Campaigns.TryGetValue(key, out var campaign))
        {
            if (increment <= 0 || profile.Campaigns.Count >= MaxCampaignsPerProfile) return;
            campaign = new Campaign();
            profile.Campaigns[key] = campaign;
        }

        if (banner.Length > 0) campaign.Banner = Truncated(banner);

        // The same connection can arrive twice, as a flow (counted 1) and as an ssh.log record (counted by its
        // auth_attempts): count only the difference the second time.
        if (KeyHash.TryOfUid(connection, out ulong uid))
        {
            if (campaign.Counted.TryGetValue(uid, out int already))
            {
                if (success)
                {
                    campaign.Attempts = Math.Max(0, campaign.Attempts - already);
                    campaign.Counted[uid] = 0;
                    return;
                }

                int extra = increment - already;
                if (extra <= 0) return;
                campaign.Counted[uid] = increment;
                increment = extra;
            }
            else if (campaign.Counted.Count < MaxUidsPerCampaign)
            {
                campaign.Counted[uid] = increment;
            }
        }

        if (increment <= 0) return;
        campaign.Attempts += increment;
        campaign.Uids.AddUidOf(connection);
        int bucket = Bucket(campaign.Attempts, threshold);
        if (bucket <= campaign.ReportedBucket) return;
        campaign.ReportedBucket = bucket;
        int effective = Math.Max(campaign.Attempts, profile.ConfirmedAttempts);
        double confidence = Confidence(effective, threshold, ctx.Detectors.SshFullConfidenceAttempts, campaign.Banner);
        string description = $"SSH password guessing from {source} to {server} on port {port}/tcp. Attempts observed: {campaign.Attempts}.";
        if (campaign.Banner.Length > 0) description += $" Client banner: {campaign.Banner}.";
        if (profile.NoticeSeen) description += " Confirmed by Zeek notice.log.";
        description += $" Confidence: {Addresses.FormatConfidence(confidence)}.";
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.PasswordGuessing,
            Description = description,
            Attacker = source,
            Victim = server,
            ThreatLevel = ThreatLevel.Medium,
            Confidence = confidence,
            Timestamp = timestamp,
            Protocol = Protocol.Tcp,
            Port = port,
            Uids = campaign.Uids.Snapshot(),
        });
    }

    /// <summary>
    /// The campaign a first attempt (one connection counted 1, below the threshold) would have made: one attempt, its
    /// uid counted and listed, its banner, under the same caps.
    /// </summary>
    private void MakeCampaign(DetectionContext ctx, IpAddr source, (IpAddr, ushort) key, FirstAttempt first)
    {
        var profile = _state.GetOrCreate(ctx.TimeWindow, source);
        if (profile is null || profile.Campaigns.Count >= MaxCampaignsPerProfile) return;
        var campaign = new Campaign { Attempts = 1, Banner = first.Banner };
        campaign.Counted[KeyHash.OfUid(first.Uid)] = 1;
        campaign.Uids.Add(null, first.Uid);
        profile.Campaigns[key] = campaign;
    }

    private static string Truncated(string banner) => banner.Length > 200 ? banner[..200] : banner;

    private void OnNotice(NoticeRecord notice, DetectionContext ctx)
    {
        if (notice.Source.IsNone) return;
        var profile = _state.GetOrCreate(ctx.TimeWindow, notice.Source);
        if (profile is null) return;
        var m = SeenIn().Match(notice.Message);
        if (m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            profile.ConfirmedAttempts = Math.Max(profile.ConfirmedAttempts, n);
        }

        if (profile.NoticeSeen) return;
        profile.NoticeSeen = true;
        string message = notice.Message.Length > 500 ? notice.Message[..500] : notice.Message;
        ctx.Raise(new Evidence
        {
            Type = EvidenceTypes.PasswordGuessing,
            Description = $"SSH password guessing reported by Zeek: {message}. Confidence: 1.",
            Attacker = notice.Source,
            Victim = notice.Destination,
            ThreatLevel = ThreatLevel.Medium,
            Confidence = 1.0,
            Timestamp = notice.Timestamp,
            Protocol = Protocol.Tcp,
            Port = notice.DestinationPort,
            Uids = notice.Uid.Length > 0 ? [notice.Uid] : Array.Empty<string>(),
        });
    }

    [GeneratedRegex(@"seen in (\d{1,9}) connections", RegexOptions.CultureInvariant)]
    private static partial Regex SeenIn();

    /// <summary>A key's only attempt so far in <see cref="Window"/>, with its connection's client banner ("" for none).</summary>
    private readonly record struct FirstAttempt(int Window, PackedUid Uid, string Banner);

    private sealed class ProfileCampaigns
    {
        public Dictionary<(IpAddr, ushort), Campaign> Campaigns { get; } = new();

        public bool NoticeSeen { get; set; }

        public int ConfirmedAttempts { get; set; }
    }

    private sealed class Campaign
    {
        public int Attempts { get; set; }

        public int ReportedBucket { get; set; } = -1;

        public string Banner { get; set; } = "";

        public UidCounts Counted { get; } = new();

        public UidList Uids { get; } = new();
    }
}

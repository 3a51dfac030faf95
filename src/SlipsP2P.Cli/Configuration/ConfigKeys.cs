using System.Globalization;
using SlipsP2P.Core;

namespace SlipsP2P.Cli.Configuration;

/// <summary>
/// The configuration keys of config/slips.yaml, by dotted path, each bound to one option. One table serves the
/// YAML file, <c>--set key=value</c>, <c>--help</c> and the error messages, so a key cannot exist in one and not
/// the others.
/// </summary>
internal static class ConfigKeys
{
    /// <summary>A key: its dotted path, a description, how to set it from text, how to read it back.</summary>
    internal sealed record Key(string Path, string Description, Action<AnalysisOptions, string> Set, Func<AnalysisOptions, string> Get);

    private static readonly Key[] s_keys =
    [
        new("parameters.time_window_width", "time-window width in seconds (Slips: 3600; 'only_one_tw' for one window)",
            (o, v) => o.TimeWindowWidth = v.Trim() == "only_one_tw" ? 9_999_999_999 : PositiveDouble(v), o => Num(o.TimeWindowWidth)),
        new("parameters.analysis_direction", "out (only what a profile does) or all",
            (o, v) => o.AnalysisDirection = v.Trim().ToLowerInvariant() switch
            {
                "out" => AnalysisDirection.Out,
                "all" => AnalysisDirection.All,
                _ => throw new FormatException("expected 'out' or 'all'"),
            }, o => o.AnalysisDirection == AnalysisDirection.Out ? "out" : "all"),
        new("parameters.tcp_inactivity_timeout", "minutes of silence before a TCP flow is closed (Zeek's default 5)",
            (o, v) => o.TcpInactivityTimeout = PositiveDouble(v) * 60, o => Num(o.TcpInactivityTimeout / 60)),
        new("parameters.udp_inactivity_timeout", "minutes of silence before a UDP flow is closed (Zeek's default 1)",
            (o, v) => o.UdpInactivityTimeout = PositiveDouble(v) * 60, o => Num(o.UdpInactivityTimeout / 60)),
        new("parameters.icmp_inactivity_timeout", "minutes of silence before an ICMP flow is closed (Zeek's default 1)",
            (o, v) => o.IcmpInactivityTimeout = PositiveDouble(v) * 60, o => Num(o.IcmpInactivityTimeout / 60)),
        new("parameters.workers", "flow-table workers for captures (1 to 64; the alerts are the same for any count; also --workers)",
            (o, v) => o.Workers = Int(v) is var n && n is >= 1 and <= 64 ? n : throw new FormatException("expected a whole number from 1 to 64"), o => Num(o.Workers)),
        new("parameters.parse_threads", "threads that parse a Zeek log, binetflow or eve.json file while detection takes the records in order (0 = one per processor, 1 = one thread; the alerts are the same for any count)",
            (o, v) => o.ParseThreads = int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n is >= 0 and <= 64
                ? n : throw new FormatException($"expected a whole number from 0 to 64, got '{v}'"), o => Num(o.ParseThreads)),
        new("parameters.ingest_thread", "read and build flows on a thread of their own while detection runs on another (true or false; the alerts are the same either way)",
            (o, v) => o.IngestThread = Bool(v), o => o.IngestThread ? "true" : "false"),
        new("detection.evidence_detection_threshold", "accumulated threat per minute of window that makes an alert (0.08 sensitive, 0.25 default, 0.43 insensitive)",
            (o, v) => o.EvidenceDetectionThreshold = PositiveDouble(v), o => Num(o.EvidenceDetectionThreshold)),
        new("DisabledAlerts.disabled_detections", "evidence types never raised, e.g. [LONG_CONNECTION]",
            (o, v) =>
            {
                o.DisabledDetections.Clear();
                foreach (var t in SplitList(v)) o.DisabledDetections.Add(t);
            }, o => "[" + string.Join(", ", o.DisabledDetections) + "]"),
        new("network_discovery.port_scan_min_ports", "distinct ports to one host before a vertical port scan is reported",
            (o, v) => o.Detectors.VerticalScanMinPorts = Int(v), o => Num(o.Detectors.VerticalScanMinPorts)),
        new("network_discovery.port_scan_min_hosts", "distinct hosts on one port before a horizontal port scan is reported",
            (o, v) => o.Detectors.HorizontalScanMinHosts = Int(v), o => Num(o.Detectors.HorizontalScanMinHosts)),
        new("network_discovery.icmp_sweep_min_hosts", "distinct hosts pinged per ICMP sweep evidence",
            (o, v) => o.Detectors.IcmpSweepMinHosts = Int(v), o => Num(o.Detectors.IcmpSweepMinHosts)),
        new("brute_force_detector.ssh_attempt_threshold", "SSH attempts to one server in a window before PASSWORD_GUESSING",
            (o, v) => o.Detectors.SshAttemptThreshold = Int(v), o => Num(o.Detectors.SshAttemptThreshold)),
        new("brute_force_detector.ssh_full_confidence_attempts", "SSH attempts at which the confidence reaches 1",
            (o, v) => o.Detectors.SshFullConfidenceAttempts = Int(v), o => Num(o.Detectors.SshFullConfidenceAttempts)),
        new("flow_alerts.ssh_succesful_detection_threshold", "bytes of an SSH session above which the login counts as successful (Slips' spelling)",
            (o, v) => o.Detectors.SshSuccessfulBytes = (long)PositiveDouble(v), o => Num(o.Detectors.SshSuccessfulBytes)),
        new("flow_alerts.long_connection_threshold", "seconds after which a connection is long",
            (o, v) => o.Detectors.LongConnectionThreshold = PositiveDouble(v), o => Num(o.Detectors.LongConnectionThreshold)),
        new("flow_alerts.data_exfiltration_threshold", "megabytes uploaded to one IP in a window that make DATA_UPLOAD",
            (o, v) => o.FlowAlerts.DataUploadMegabytes = PositiveDouble(v), o => Num(o.FlowAlerts.DataUploadMegabytes)),
        new("flow_alerts.data_exfiltration_flow_threshold", "megabytes uploaded in one flow that make DATA_UPLOAD",
            (o, v) => o.FlowAlerts.DataUploadFlowMegabytes = PositiveDouble(v), o => Num(o.FlowAlerts.DataUploadFlowMegabytes)),
        new("flow_alerts.entropy_threshold", "Shannon entropy (bits/char) of a DNS TXT answer that makes HIGH_ENTROPY_DNS_ANSWER",
            (o, v) => o.FlowAlerts.EntropyThreshold = PositiveDouble(v), o => Num(o.FlowAlerts.EntropyThreshold)),
        new("flow_alerts.reconnection_attempts", "rejected connections to one IP:port that make MULTIPLE_RECONNECTION_ATTEMPTS",
            (o, v) => o.FlowAlerts.ReconnectionAttempts = Int(v), o => Num(o.FlowAlerts.ReconnectionAttempts)),
        new("flow_alerts.nxdomain_threshold", "NXDOMAIN answers per host and window that make DGA_NXDOMAINS (then every 5 more)",
            (o, v) => o.FlowAlerts.NxdomainThreshold = Int(v), o => Num(o.FlowAlerts.NxdomainThreshold)),
        new("flow_alerts.dns_without_connection_wait", "seconds of traffic a resolution waits for a connection before DNS_WITHOUT_CONNECTION",
            (o, v) => o.FlowAlerts.DnsWithoutConnectionWait = PositiveDouble(v), o => Num(o.FlowAlerts.DnsWithoutConnectionWait)),
        new("flow_alerts.service_mismatch_wait", "seconds a port 80/443 flow waits for its HTTP/TLS record",
            (o, v) => o.FlowAlerts.ServiceMismatchWait = PositiveDouble(v), o => Num(o.FlowAlerts.ServiceMismatchWait)),
        new("flow_alerts.ports_file", "known service ports (port,protocol,name) for UNKNOWN_PORT; made by config/make-ports.sh",
            (o, v) => o.FlowAlerts.PortsFile = v.Trim(), o => o.FlowAlerts.PortsFile),
        new("network_discovery.dhcp_scan_min_addresses", "distinct addresses one client requests in a window per DHCP_SCAN",
            (o, v) => o.FlowAlerts.DhcpScanMinAddresses = Int(v), o => Num(o.FlowAlerts.DhcpScanMinAddresses)),
        new("flow_alerts.smtp_bruteforce_threshold", "bad SMTP logins from one host to one server within smtp_bruteforce_seconds that make SMTP_LOGIN_BRUTEFORCE",
            (o, v) => o.FlowAlerts.SmtpBruteforceThreshold = Int(v), o => Num(o.FlowAlerts.SmtpBruteforceThreshold)),
        new("flow_alerts.smtp_bruteforce_seconds", "seconds in which the bad SMTP logins must fall",
            (o, v) => o.FlowAlerts.SmtpBruteforceSeconds = PositiveDouble(v), o => Num(o.FlowAlerts.SmtpBruteforceSeconds)),
        new("flow_alerts.login_bruteforce_threshold", "failed telnet/rlogin/rsh logins from one host to one server within login_bruteforce_seconds that make PASSWORD_GUESSING",
            (o, v) => o.FlowAlerts.LoginBruteforceThreshold = Int(v), o => Num(o.FlowAlerts.LoginBruteforceThreshold)),
        new("flow_alerts.login_bruteforce_seconds", "seconds in which the failed logins must fall",
            (o, v) => o.FlowAlerts.LoginBruteforceSeconds = PositiveDouble(v), o => Num(o.FlowAlerts.LoginBruteforceSeconds)),
        new("arp.scan_min_targets", "distinct addresses asked for within arp.scan_seconds that make ARP_SCAN",
            (o, v) => o.FlowAlerts.ArpScanMinTargets = Int(v), o => Num(o.FlowAlerts.ArpScanMinTargets)),
        new("arp.scan_seconds", "the ARP scan window in seconds",
            (o, v) => o.FlowAlerts.ArpScanSeconds = PositiveDouble(v), o => Num(o.FlowAlerts.ArpScanSeconds)),
        new("threatintelligence.enabled", "match traffic against the IoC files and cached feeds",
            (o, v) => o.ThreatIntelligence.Enabled = Bool(v), o => o.ThreatIntelligence.Enabled ? "true" : "false"),
        new("threatintelligence.local_threat_intelligence_dir", "directory of local IoC files (Slips' CSV format; names with ja3 hold JA3 hashes)",
            (o, v) => o.ThreatIntelligence.LocalDirectory = v.Trim(), o => o.ThreatIntelligence.LocalDirectory),
        new("threatintelligence.ti_files", "the remote feeds list (url, threat level, tags), fetched by slips ti update",
            (o, v) => o.ThreatIntelligence.FeedsFile = v.Trim(), o => o.ThreatIntelligence.FeedsFile),
        new("threatintelligence.cache_dir", "where downloaded feeds and their ETag/Last-Modified are kept",
            (o, v) => o.ThreatIntelligence.CacheDirectory = v.Trim(), o => o.ThreatIntelligence.CacheDirectory),
        new("threatintelligence.TI_files_update_period", "seconds between feed refreshes of a running node",
            (o, v) => o.ThreatIntelligence.UpdatePeriod = PositiveDouble(v), o => Num(o.ThreatIntelligence.UpdatePeriod)),
        new("threatintelligence.asn_tables", "IP-to-ASN tables in the ip2asn TSV format, comma-separated (optional; needed for ASN indicators)",
            (o, v) => o.ThreatIntelligence.AsnTables = v.Trim().Trim('[', ']'), o => o.ThreatIntelligence.AsnTables),
        new("anomaly_detection_https.training_hours", "hours of a host's HTTPS traffic used to fit its first baseline",
            (o, v) => o.HttpsAnomaly.TrainingHours = PositiveDouble(v), o => Num(o.HttpsAnomaly.TrainingHours)),
        new("anomaly_detection_https.flow_zscore_threshold", "|z| of a flow's bytes or duration that is anomalous",
            (o, v) => o.HttpsAnomaly.FlowZScoreThreshold = PositiveDouble(v), o => Num(o.HttpsAnomaly.FlowZScoreThreshold)),
        new("anomaly_detection_https.hourly_zscore_threshold", "z of an hour's HTTPS flows or bytes that is anomalous",
            (o, v) => o.HttpsAnomaly.HourlyZScoreThreshold = PositiveDouble(v), o => Num(o.HttpsAnomaly.HourlyZScoreThreshold)),
        new("anomaly_detection_https.baseline_alpha", "EWMA weight of a normal hour in the hourly baselines",
            (o, v) => o.HttpsAnomaly.BaselineAlpha = PositiveDouble(v), o => Num(o.HttpsAnomaly.BaselineAlpha)),
        new("anomaly_detection_https.drift_alpha", "EWMA weight of a normal flow (how fast the baseline follows drift)",
            (o, v) => o.HttpsAnomaly.DriftAlpha = PositiveDouble(v), o => Num(o.HttpsAnomaly.DriftAlpha)),
        new("anomaly_detection_https.suspicious_alpha", "EWMA weight of an anomalous observation (small: an attack does not become normal)",
            (o, v) => o.HttpsAnomaly.SuspiciousAlpha = PositiveDouble(v), o => Num(o.HttpsAnomaly.SuspiciousAlpha)),
        new("anomaly_detection_https.min_baseline_points", "flows a baseline needs before it judges",
            (o, v) => o.HttpsAnomaly.MinBaselinePoints = Int(v), o => Num(o.HttpsAnomaly.MinBaselinePoints)),
        new("periodicity.min_connections", "connections on one tuple before its periodicity (beaconing) is judged",
            (o, v) => o.Detectors.PeriodicityMinConnections = Int(v), o => Num(o.Detectors.PeriodicityMinConnections)),
        new("periodicity.tolerance", "relative distance from the median gap within which a gap is on period (0.3 = 30 %)",
            (o, v) => o.Detectors.PeriodicityTolerance = PositiveDouble(v), o => Num(o.Detectors.PeriodicityTolerance)),
        new("periodicity.min_fraction", "share of the recent gaps that must be on period",
            (o, v) => o.Detectors.PeriodicityMinFraction = PositiveDouble(v), o => Num(o.Detectors.PeriodicityMinFraction)),
        new("periodicity.min_period", "seconds; a shorter median gap is a burst, not a beacon",
            (o, v) => o.Detectors.PeriodicityMinPeriod = PositiveDouble(v), o => Num(o.Detectors.PeriodicityMinPeriod)),
        new("periodicity.ignore_ports", "destination ports that are periodic by design and never judged (DNS, NTP, mDNS)",
            (o, v) =>
            {
                o.Detectors.PeriodicityIgnorePorts.Clear();
                foreach (var p in SplitList(v)) o.Detectors.PeriodicityIgnorePorts.Add(Port(p));
            },
            o => "[" + string.Join(", ", o.Detectors.PeriodicityIgnorePorts.Order()) + "]"),
        new("markov.models_dir", "directory of behavioural Markov models (*.json, made by slips models train); empty for none (-m)",
            (o, v) => o.Detectors.MarkovModelsDirectory = v.Trim(), o => o.Detectors.MarkovModelsDirectory),
        new("markov.min_letters", "letters a tuple needs before it is compared with the models (-a)",
            (o, v) => o.Detectors.MarkovMinLetters = Int(v), o => Num(o.Detectors.MarkovMinLetters)),
        new("flow_ml.model_path", "flow classifier made by slips ml train (MALICIOUS_FLOW); empty for none",
            (o, v) => o.Detectors.FlowMlModelPath = v.Trim(), o => o.Detectors.FlowMlModelPath),
        new("whitelists.enable_local_whitelist", "use the local whitelist file",
            (o, v) => o.EnableLocalWhitelist = Bool(v), o => o.EnableLocalWhitelist ? "true" : "false"),
        new("whitelists.local_whitelist_path", "the local whitelist file (Slips' CSV format)",
            (o, v) => o.LocalWhitelistPath = v.Trim(), o => o.LocalWhitelistPath),
        new("parameters.pcapfilter", "BPF capture filter for live capture, e.g. 'not port 22'; empty for none (-F)",
            (o, v) => o.Capture.Filter = v.Trim(), o => o.Capture.Filter),
        new("parameters.capture_buffer_mb", "kernel ring of a live capture in megabytes (pcap_set_buffer_size)",
            (o, v) => o.Capture.BufferMegabytes = Int(v), o => Num(o.Capture.BufferMegabytes)),
        new("parameters.capture_snaplen", "bytes kept of each live-captured packet (128 to 262144)",
            (o, v) => o.Capture.Snaplen = Int(v), o => Num(o.Capture.Snaplen)),
        new("parameters.capture_queue_batches", "packet batches queued between capture and analysis before drops are counted",
            (o, v) => o.Capture.QueueBatches = Int(v), o => Num(o.Capture.QueueBatches)),
        new("parameters.capture_stats_interval", "seconds between the progress lines of a live capture",
            (o, v) => o.Capture.StatsInterval = PositiveDouble(v), o => Num(o.Capture.StatsInterval)),
    ];

    private static readonly Dictionary<string, Key> s_byPath = s_keys.ToDictionary(k => k.Path, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every key, in file order.</summary>
    public static IReadOnlyList<Key> All => s_keys;

    /// <summary>Looks a key up by its dotted path (case-insensitive).</summary>
    public static bool TryGet(string path, out Key key) => s_byPath.TryGetValue(path, out key!);

    private static string Num(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static double PositiveDouble(string v)
    {
        if (!double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !(d > 0) || double.IsInfinity(d))
        {
            throw new FormatException($"expected a positive number, got '{v}'");
        }

        return d;
    }

    private static int Int(string v) =>
        int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i > 0
            ? i : throw new FormatException($"expected a positive whole number, got '{v}'");

    private static int Port(string v) =>
        int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535
            ? p : throw new FormatException($"expected a port number 0-65535, got '{v}'");

    private static bool Bool(string v) => v.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "1" or "on" => true,
        "false" or "no" or "0" or "off" => false,
        _ => throw new FormatException($"expected true or false, got '{v}'"),
    };

    private static IEnumerable<string> SplitList(string v) =>
        v.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
         .Select(s => s.Trim('\'', '"')).Where(s => s.Length > 0);
}

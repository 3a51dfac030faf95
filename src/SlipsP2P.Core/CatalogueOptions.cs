namespace SlipsP2P.Core;

/// <summary>
/// Thresholds of Slips' flow_alerts heuristics, ARP, DHCP and DNS checks (config/slips.yaml sections flow_alerts
/// and arp). Defaults are Slips' (reference notes section 4).
/// </summary>
public sealed class FlowAlertOptions
{
    /// <summary>[flow_alerts.data_exfiltration_threshold] megabytes uploaded to one IP in a window (Slips: 500).</summary>
    public double DataUploadMegabytes { get; set; } = 500;

    /// <summary>[flow_alerts.data_exfiltration_flow_threshold] megabytes uploaded in one flow (Slips: 100).</summary>
    public double DataUploadFlowMegabytes { get; set; } = 100;

    /// <summary>[flow_alerts.entropy_threshold] Shannon entropy (bits per char) of a DNS TXT answer (Slips: 5).</summary>
    public double EntropyThreshold { get; set; } = 5;

    /// <summary>[flow_alerts.reconnection_attempts] not-established flows to one IP:port before evidence (Slips: 5).</summary>
    public int ReconnectionAttempts { get; set; } = 5;

    /// <summary>[flow_alerts.nxdomain_threshold] NXDOMAIN answers per profile and window (Slips: 10, then every 5).</summary>
    public int NxdomainThreshold { get; set; } = 10;

    /// <summary>[flow_alerts.dns_without_connection_wait] seconds of traffic time a resolution waits for a connection (Slips: 1800).</summary>
    public double DnsWithoutConnectionWait { get; set; } = 1800;

    /// <summary>[flow_alerts.service_mismatch_wait] seconds a port 80/443 flow waits for its HTTP/TLS record (Slips: 300).</summary>
    public double ServiceMismatchWait { get; set; } = 300;

    /// <summary>[flow_alerts.ports_file] the known-ports list (port,protocol,name) used by the unknown-port check.</summary>
    public string PortsFile { get; set; } = "config/ports.csv";

    /// <summary>[arp.scan_min_targets] distinct ARP targets within <see cref="ArpScanSeconds"/> (Slips: 5).</summary>
    public int ArpScanMinTargets { get; set; } = 5;

    /// <summary>[arp.scan_seconds] the ARP scan window in seconds (Slips: 30).</summary>
    public double ArpScanSeconds { get; set; } = 30;

    /// <summary>[network_discovery.dhcp_scan_min_addresses] distinct addresses one client requests in a window per DHCP_SCAN (Slips: 4, then every 4).</summary>
    public int DhcpScanMinAddresses { get; set; } = 4;

    /// <summary>[flow_alerts.smtp_bruteforce_threshold] bad SMTP logins from one host within <see cref="SmtpBruteforceSeconds"/> that make SMTP_LOGIN_BRUTEFORCE (Slips: 3).</summary>
    public int SmtpBruteforceThreshold { get; set; } = 3;

    /// <summary>[flow_alerts.smtp_bruteforce_seconds] the span in which the bad SMTP logins must fall (Slips: 10).</summary>
    public double SmtpBruteforceSeconds { get; set; } = 10;

    /// <summary>[flow_alerts.login_bruteforce_threshold] failed telnet/rlogin/rsh logins from one host to one server within <see cref="LoginBruteforceSeconds"/> that make PASSWORD_GUESSING (no Slips default: ours 5).</summary>
    public int LoginBruteforceThreshold { get; set; } = 5;

    /// <summary>[flow_alerts.login_bruteforce_seconds] the span in which the failed logins must fall (ours: 120).</summary>
    public double LoginBruteforceSeconds { get; set; } = 120;

    /// <summary>Checks the values; returns the problems, empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(DataUploadMegabytes > 0) || !(DataUploadFlowMegabytes > 0)) errors.Add("flow_alerts.data_exfiltration thresholds must be positive");
        if (!(EntropyThreshold > 0)) errors.Add($"{nameof(EntropyThreshold)} must be positive");
        if (ReconnectionAttempts < 1) errors.Add($"{nameof(ReconnectionAttempts)} must be at least 1");
        if (NxdomainThreshold < 1) errors.Add($"{nameof(NxdomainThreshold)} must be at least 1");
        if (!(DnsWithoutConnectionWait > 0) || !(ServiceMismatchWait > 0)) errors.Add("waits must be positive");
        if (DhcpScanMinAddresses < 2) errors.Add($"{nameof(DhcpScanMinAddresses)} must be at least 2");
        if (SmtpBruteforceThreshold < 2 || !(SmtpBruteforceSeconds > 0)) errors.Add($"{nameof(SmtpBruteforceThreshold)} must be at least 2 and {nameof(SmtpBruteforceSeconds)} positive");
        if (LoginBruteforceThreshold < 2 || !(LoginBruteforceSeconds > 0)) errors.Add($"{nameof(LoginBruteforceThreshold)} must be at least 2 and {nameof(LoginBruteforceSeconds)} positive");
        if (ArpScanMinTargets < 2 || !(ArpScanSeconds > 0)) errors.Add($"{nameof(ArpScanMinTargets)} must be at least 2 and {nameof(ArpScanSeconds)} positive");
        return errors;
    }
}

/// <summary>Threat intelligence settings (config/slips.yaml section threatintelligence).</summary>
public sealed class ThreatIntelligenceOptions
{
    /// <summary>[threatintelligence.enabled] match traffic against IoCs.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>[threatintelligence.local_threat_intelligence_dir] directory of local IoC files in Slips' CSV format.</summary>
    public string LocalDirectory { get; set; } = "config/ti";

    /// <summary>[threatintelligence.ti_files] the remote feeds list ("url,threat level,tags").</summary>
    public string FeedsFile { get; set; } = "config/ti/feeds/TI_feeds.csv";

    /// <summary>[threatintelligence.cache_dir] where downloaded feeds and their ETag/Last-Modified are kept.</summary>
    public string CacheDirectory { get; set; } = "config/ti/cache";

    /// <summary>[threatintelligence.TI_files_update_period] seconds between feed refreshes of a running node (Slips: 86400).</summary>
    public double UpdatePeriod { get; set; } = 86400;

    /// <summary>
    /// [threatintelligence.asn_tables] IP-to-ASN tables in the ip2asn TSV format (range_start, range_end, AS number,
    /// country, description), comma-separated; a missing file is skipped. Feeds tagged 'ip2asn' in the feeds file are
    /// read as tables too. Needed to match ASN indicators.
    /// </summary>
    public string AsnTables { get; set; } = "config/ti/ip2asn-v4.tsv,config/ti/ip2asn-v6.tsv";

    /// <summary>Checks the values; returns the problems, empty when valid.</summary>
    public IReadOnlyList<string> Validate() =>
        UpdatePeriod >= 1 ? Array.Empty<string>() : [$"{nameof(UpdatePeriod)} (threatintelligence.TI_files_update_period) must be at least 1 second"];
}

/// <summary>HTTPS anomaly detection settings (config/slips.yaml section anomaly_detection_https, Slips' names).</summary>
public sealed class HttpsAnomalyOptions
{
    /// <summary>[anomaly_detection_https.training_hours] hours of traffic per host used to fit the first baseline (Slips: 2).</summary>
    public double TrainingHours { get; set; } = 2;

    /// <summary>[anomaly_detection_https.flow_zscore_threshold] |z| of one flow's bytes or duration that is anomalous (Slips: 3.5).</summary>
    public double FlowZScoreThreshold { get; set; } = 3.5;

    /// <summary>[anomaly_detection_https.hourly_zscore_threshold] |z| of an hour's flow count or bytes that is anomalous (Slips: 3).</summary>
    public double HourlyZScoreThreshold { get; set; } = 3.0;

    /// <summary>[anomaly_detection_https.drift_alpha] EWMA weight with which normal observations move the baseline (Slips: 0.05).</summary>
    public double DriftAlpha { get; set; } = 0.05;

    /// <summary>[anomaly_detection_https.baseline_alpha] EWMA weight of a normal hour in the hourly baselines (Slips: 0.5); hours are rare points, so they need a larger weight than flows.</summary>
    public double BaselineAlpha { get; set; } = 0.5;

    /// <summary>[anomaly_detection_https.suspicious_alpha] EWMA weight of anomalous observations (Slips: 0.005): they barely move it.</summary>
    public double SuspiciousAlpha { get; set; } = 0.005;

    /// <summary>[anomaly_detection_https.min_baseline_points] flows a baseline needs before it judges (Slips: 6).</summary>
    public int MinBaselinePoints { get; set; } = 6;

    /// <summary>Checks the values; returns the problems, empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(TrainingHours >= 0)) errors.Add($"{nameof(TrainingHours)} must not be negative");
        if (!(FlowZScoreThreshold > 0) || !(HourlyZScoreThreshold > 0)) errors.Add("z-score thresholds must be positive");
        if (!(DriftAlpha > 0 && DriftAlpha < 1) || !(BaselineAlpha > 0 && BaselineAlpha < 1) || !(SuspiciousAlpha > 0 && SuspiciousAlpha < 1)) errors.Add("alphas must be in (0, 1)");
        if (MinBaselinePoints < 2) errors.Add($"{nameof(MinBaselinePoints)} must be at least 2");
        return errors;
    }
}

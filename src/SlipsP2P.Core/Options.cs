namespace SlipsP2P.Core;

/// <summary>Which traffic a profile analyses (Slips' parameters.analysis_direction).</summary>
public enum AnalysisDirection
{
    /// <summary>Only what the profile's IP does as a source.</summary>
    Out,
    /// <summary>What it does and what is done to it.</summary>
    All,
}

/// <summary>
/// Analysis settings, bound from config/slips.yaml (keys in brackets) and overridable with <c>--set key=value</c>.
/// Defaults are Slips' 1.1.21 defaults.
/// </summary>
public sealed class AnalysisOptions
{
    /// <summary>[parameters.time_window_width] seconds; Slips' only_one_tw is a very large width.</summary>
    public double TimeWindowWidth { get; set; } = 3600;

    /// <summary>[parameters.analysis_direction]</summary>
    public AnalysisDirection AnalysisDirection { get; set; } = AnalysisDirection.Out;

    /// <summary>[detection.evidence_detection_threshold] per minute of window: the alert threshold is this x width / 60.</summary>
    public double EvidenceDetectionThreshold { get; set; } = 0.25;

    /// <summary>[parameters.tcp_inactivity_timeout] seconds before an idle TCP flow is closed (Zeek's default 5 min).</summary>
    public double TcpInactivityTimeout { get; set; } = 300;

    /// <summary>[parameters.udp_inactivity_timeout] seconds (Zeek's default 1 min).</summary>
    public double UdpInactivityTimeout { get; set; } = 60;

    /// <summary>[parameters.icmp_inactivity_timeout] seconds (Zeek's default 1 min).</summary>
    public double IcmpInactivityTimeout { get; set; } = 60;

    /// <summary>
    /// [parameters.workers] flow-table workers for capture input (default 1): packets are partitioned over them by a
    /// symmetric hash of the 5-tuple, and the records are merged back into one order, so the alerts are the same for any count.
    /// </summary>
    public int Workers { get; set; } = 1;

    /// <summary>
    /// [parameters.ingest_thread] whether a file's reading, decoding and flow building run on a thread of their own
    /// while detection runs on another, handing records over in batches (default true). The records reach detection
    /// in the same order either way, so the alerts are the same; on two cores the analysis takes about the longer of
    /// the two stages instead of their sum.
    /// </summary>
    public bool IngestThread { get; set; } = true;

    /// <summary>
    /// [parameters.parse_threads] threads that parse a Zeek log, binetflow or eve.json file while detection takes the
    /// records in input order on the main thread (0, the default: one per processor; 1: all on one thread). The records
    /// and so the alerts are the same for any count.
    /// </summary>
    public int ParseThreads { get; set; }

    /// <summary>[DisabledAlerts.disabled_detections] evidence types never raised.</summary>
    public IList<string> DisabledDetections { get; } = new List<string>();

    /// <summary>Detector thresholds.</summary>
    public DetectorOptions Detectors { get; set; } = new();

    /// <summary>Flow-alert heuristic thresholds (flow_alerts, arp, DHCP).</summary>
    public FlowAlertOptions FlowAlerts { get; set; } = new();

    /// <summary>Threat intelligence files and feeds.</summary>
    public ThreatIntelligenceOptions ThreatIntelligence { get; set; } = new();

    /// <summary>HTTPS anomaly detection baselines.</summary>
    public HttpsAnomalyOptions HttpsAnomaly { get; set; } = new();

    /// <summary>[whitelists.enable_local_whitelist]</summary>
    public bool EnableLocalWhitelist { get; set; } = true;

    /// <summary>[whitelists.local_whitelist_path]</summary>
    public string LocalWhitelistPath { get; set; } = "config/whitelist.conf";

    /// <summary>Live capture (-i, -F, parameters.pcapfilter); <see cref="CaptureOptions.IsLive"/> tells a running node from a file analysis.</summary>
    public CaptureOptions Capture { get; set; } = new();

    /// <summary>Checks the values; returns the problems, empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(TimeWindowWidth > 0)) errors.Add($"{nameof(TimeWindowWidth)} (parameters.time_window_width) must be positive, got {TimeWindowWidth}");
        if (!(EvidenceDetectionThreshold > 0)) errors.Add($"{nameof(EvidenceDetectionThreshold)} (detection.evidence_detection_threshold) must be positive, got {EvidenceDetectionThreshold}");
        if (!(TcpInactivityTimeout > 0) || !(UdpInactivityTimeout > 0) || !(IcmpInactivityTimeout > 0)) errors.Add("inactivity timeouts must be positive");
        errors.AddRange(Detectors.Validate());
        errors.AddRange(FlowAlerts.Validate());
        errors.AddRange(ThreatIntelligence.Validate());
        errors.AddRange(HttpsAnomaly.Validate());
        return errors;
    }
}

/// <summary>Thresholds of the detectors (Slips defaults, see the reference notes section 4).</summary>
public sealed class DetectorOptions
{
    /// <summary>[network_discovery.port_scan_min_ports] distinct ports to one host before a vertical scan is reported (Slips: 10, then every power of ten).</summary>
    public int VerticalScanMinPorts { get; set; } = 10;

    /// <summary>[network_discovery.port_scan_min_hosts] distinct hosts on one port before a horizontal scan is reported.</summary>
    public int HorizontalScanMinHosts { get; set; } = 10;

    /// <summary>[network_discovery.icmp_sweep_min_hosts] distinct hosts pinged before an ICMP sweep is reported (Zeek script: every 5).</summary>
    public int IcmpSweepMinHosts { get; set; } = 5;

    /// <summary>[brute_force_detector.ssh_attempt_threshold] SSH attempts src to dst:port in a window.</summary>
    public int SshAttemptThreshold { get; set; } = 9;

    /// <summary>[brute_force_detector.ssh_full_confidence_attempts] attempts at which confidence reaches 1.</summary>
    public int SshFullConfidenceAttempts { get; set; } = 30;

    /// <summary>[flow_alerts.ssh_succesful_detection_threshold] bytes above which an SSH session counts as a successful login.</summary>
    public long SshSuccessfulBytes { get; set; } = 4290;

    /// <summary>[flow_alerts.long_connection_threshold] seconds.</summary>
    public double LongConnectionThreshold { get; set; } = 1500;

    /// <summary>[periodicity.min_connections] connections on one tuple before its periodicity is judged.</summary>
    public int PeriodicityMinConnections { get; set; } = 8;

    /// <summary>[periodicity.tolerance] relative distance from the median gap within which a gap counts as on period (0.3 = +-30 %).</summary>
    public double PeriodicityTolerance { get; set; } = 0.3;

    /// <summary>
    /// [periodicity.min_fraction] share of the recent gaps that must be on period. 0.9: at the first judgement (7 gaps)
    /// every gap must be on period; browsing bursts under load came out with 6 of 7 gaps near a 1 s median.
    /// </summary>
    public double PeriodicityMinFraction { get; set; } = 0.9;

    /// <summary>[periodicity.min_period] seconds; shorter periods are bursts, not beacons.</summary>
    public double PeriodicityMinPeriod { get; set; } = 1.0;

    /// <summary>
    /// [periodicity.ignore_ports] destination ports whose traffic is periodic by design and never judged: DNS lookups
    /// to a resolver (53), NTP (123), mDNS (5353). A client's regular lookups are not a C&amp;C channel.
    /// </summary>
    public ISet<int> PeriodicityIgnorePorts { get; } = new HashSet<int> { 53, 123, 5353 };

    /// <summary>[markov.models_dir] directory of behavioural models (*.json); empty for no Markov detection (Slips' -m).</summary>
    public string MarkovModelsDirectory { get; set; } = "";

    /// <summary>[markov.min_letters] letters a tuple needs before it is compared with the models (Slips' -a).</summary>
    public int MarkovMinLetters { get; set; } = 3;

    /// <summary>[flow_ml.model_path] the flow classifier (JSON written by <c>slips ml train</c>); empty for none.</summary>
    public string FlowMlModelPath { get; set; } = "";

    /// <summary>Checks the values; returns the problems, empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (VerticalScanMinPorts < 2) errors.Add($"{nameof(VerticalScanMinPorts)} must be at least 2");
        if (HorizontalScanMinHosts < 2) errors.Add($"{nameof(HorizontalScanMinHosts)} must be at least 2");
        if (IcmpSweepMinHosts < 2) errors.Add($"{nameof(IcmpSweepMinHosts)} must be at least 2");
        if (SshAttemptThreshold < 1) errors.Add($"{nameof(SshAttemptThreshold)} must be at least 1");
        if (SshFullConfidenceAttempts < 1) errors.Add($"{nameof(SshFullConfidenceAttempts)} must be at least 1");
        if (!(LongConnectionThreshold > 0)) errors.Add($"{nameof(LongConnectionThreshold)} must be positive");
        if (PeriodicityMinConnections < 3) errors.Add($"{nameof(PeriodicityMinConnections)} must be at least 3");
        if (!(PeriodicityTolerance > 0 && PeriodicityTolerance < 1)) errors.Add($"{nameof(PeriodicityTolerance)} must be between 0 and 1");
        if (!(PeriodicityMinFraction > 0 && PeriodicityMinFraction <= 1)) errors.Add($"{nameof(PeriodicityMinFraction)} must be in (0, 1]");
        if (!(PeriodicityMinPeriod >= 0)) errors.Add($"{nameof(PeriodicityMinPeriod)} must not be negative");
        if (MarkovMinLetters < 1) errors.Add($"{nameof(MarkovMinLetters)} must be at least 1");
        return errors;
    }
}

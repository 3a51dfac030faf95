using SlipsP2P.Detection.Detectors.Arp;
using SlipsP2P.Detection.Detectors.Connections;
using SlipsP2P.Detection.Detectors.Dhcp;
using SlipsP2P.Detection.Detectors.Dns;
using SlipsP2P.Detection.Detectors.HttpsAnomaly;
using SlipsP2P.Detection.Detectors.ThreatIntelligence;
using SlipsP2P.Detection.Detectors.Tls;
using SlipsP2P.Detection.ThreatIntelligence;

namespace SlipsP2P.Detection.Detectors.FlowAlerts;

/// <summary>The detection catalogue: Slips' flow-alert heuristics, ARP, certificates and threat intelligence, built from the options.</summary>
public static class CatalogueDetectors
{
    /// <summary>
    /// The catalogue's detectors. Files named in the options (ports list, IoC directory, feed cache) are read here;
    /// problems go to <paramref name="warnings"/>. A missing ports list disables the unknown-port check rather than
    /// calling every port unknown.
    /// </summary>
    public static IReadOnlyList<IDetector> Create(AnalysisOptions options, IList<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        warnings ??= new List<string>();
        var list = new List<IDetector>
        {
            new ReconnectionAttemptsDetector(),
            new DataUploadDetector(),
            new Port0Detector(),
            new PrivateIpFromOutsideDetector(),
            new ConnectionWithoutDnsDetector(),
            new ServiceMismatchDetector(),
            new NxdomainDetector(),
            new TxtEntropyDetector(),
            new DnsWithoutConnectionDetector(),
            new ArpDetector(),
            new DhcpScanDetector(),
            new CertificateDetector(),
            new HttpsAnomalyDetector(),
        };

        string portsPath = ConfigFiles.Resolve(options.FlowAlerts.PortsFile);
        if (File.Exists(portsPath))
        {
            try
            {
                var ports = KnownPorts.Load(portsPath);
                foreach (var w in ports.Warnings) warnings.Add(w);
                list.Add(new UnknownPortDetector(ports));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                warnings.Add($"{portsPath}: {e.Message}; the unknown-port check is off");
            }
        }
        else
        {
            warnings.Add($"{portsPath}: ports file not found; the unknown-port check is off");
        }

        var ti = options.ThreatIntelligence;
        if (ti.Enabled)
        {
            var store = ThreatIntelligenceLoader.Load(ti, ConfigFiles.Resolve, warnings);
            list.Add(new ThreatIntelligenceDetector(new IocSource(store)));
        }

        return list;
    }
}

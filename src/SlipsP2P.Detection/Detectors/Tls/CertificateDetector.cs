using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Tls;

/// <summary>
/// Certificate checks on TLS records that carry certificate metadata (Zeek ssl.log, Suricata tls):
/// <list type="bullet">
/// <item>SELF_SIGNED_CERTIFICATE: validation status says self signed; LOW, 0.5 (Slips' ssl check).</item>
/// <item>INCOMPATIBLE_CN: the certificate's subject CN is a domain of a well-known organisation while the server
/// name belongs to none of that organisation's domains (Slips' ssl
/// <c>detect_incompatible_cn</c>, without its IP-range half); MEDIUM, 0.9.</item>
/// </list>
/// </summary>
public sealed class CertificateDetector : HeuristicDetector
{
    // Organisation -> its domains, in the spirit of Slips' slips_files/organizations_info (names only).
    private static readonly (string Org, string[] Domains)[] s_orgs =
    [
        ("google", ["google.com", "doubleclick.net", "google-analytics.com", "googlesyndication.com", "googletagmanager.com", "ggpht.com", "gvt1.com", "googleapis.com", "gstatic.com", "youtube.com", "googleusercontent.com", "gmail.com", "google"]),
        ("microsoft", ["microsoft.com", "windows.com", "live.com", "office.com", "msn.com", "bing.com", "azure.com", "skype.com", "windowsupdate.com"]),
        ("apple", ["apple.com", "icloud.com", "mzstatic.com", "apple-cloudkit.com"]),
        ("facebook", ["facebook.com", "fbcdn.net", "instagram.com", "whatsapp.net", "whatsapp.com", "facebook.net"]),
        ("twitter", ["twitter.com", "twimg.com", "x.com", "t.co"]),
        ("netflix", ["netflix.com", "nflxvideo.net", "nflximg.net", "nflxext.com"]),
        ("amazon", ["amazon.com", "amazonaws.com", "cloudfront.net", "amazon.de", "media-amazon.com"]),
    ];

    private readonly HashSet<(IpAddr, string)> _reported = new();
    private readonly ContainsMemo _selfSigned = new("self signed");

    public override string Name => "tls_certificates";

    public override RecordKinds HandledKinds => RecordKinds.Tls;

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (record is not TlsRecord tls) return;
        if (_reported.Count > 100_000) _reported.Clear();
        if (_selfSigned.In(tls.ValidationStatus)
            && _reported.Add((tls.Destination, "self")))
        {
            ctx.Raise(Make(tls, EvidenceTypes.SelfSignedCertificate, ThreatLevel.Low, 0.5,
                $"Self-signed certificate. Destination IP: {tls.Destination}. SNI: {tls.ServerName}", Protocol.Tcp));
        }

        if (tls.ServerName.Length == 0 || (tls.Subject.Length == 0 && tls.Issuer.Length == 0)) return;
        string? org = ClaimedOrganisation(CommonName(tls.Subject));
        if (org is null || BelongsTo(org, tls.ServerName)) return;
        if (!_reported.Add((tls.Destination, "cn:" + tls.ServerName))) return;
        ctx.Raise(Make(tls, EvidenceTypes.IncompatibleCn, ThreatLevel.Medium, 0.9,
            $"Incompatible certificate CN to IP: {tls.Destination} domain: {tls.ServerName}. The certificate claims {org}: '{tls.Subject}', issuer '{tls.Issuer}'.",
            Protocol.Tcp));
    }

    /// <summary>The CN= part of a distinguished name, or empty.</summary>
    public static string CommonName(string dn) => Part(dn, "CN=");

    private static string Part(string dn, string key)
    {
        int i = dn.StartsWith(key, StringComparison.OrdinalIgnoreCase) ? 0 : dn.IndexOf("," + key, StringComparison.OrdinalIgnoreCase);
        if (i < 0) return "";
        int start = i == 0 ? key.Length : i + 1 + key.Length;
        int end = dn.IndexOf(',', start);
        return (end < 0 ? dn[start..] : dn[start..end]).Trim();
    }

    /// <summary>The organisation whose domain the certificate's CN names (CN=www.google.com claims google), or null.</summary>
    private static string? ClaimedOrganisation(string commonName)
    {
        if (commonName.Length == 0) return null;
        string cn = commonName.StartsWith("*.", StringComparison.Ordinal) ? commonName[2..] : commonName;
        foreach (var (org, _) in s_orgs)
        {
            if (BelongsTo(org, cn)) return org;
        }

        return null;
    }

    private static bool BelongsTo(string org, string serverName)
    {
        foreach (var (o, domains) in s_orgs)
        {
            if (o != org) continue;
            foreach (var d in domains)
            {
                if (serverName.Equals(d, StringComparison.OrdinalIgnoreCase)
                    || serverName.EndsWith("." + d, StringComparison.OrdinalIgnoreCase)) return true;
            }
        }

        return serverName.Contains(org, StringComparison.OrdinalIgnoreCase);
    }
}

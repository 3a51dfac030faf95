namespace SlipsP2P.Detection.Tests.Support;

/// <summary>Builders for synthetic records.</summary>
internal static class TestFlows
{
    public static IpAddr Ip(string s) => IpAddr.Parse(s);

    public static FlowRecord Flow(string src, string dst, ushort dport, double ts, Protocol proto = Protocol.Tcp, bool established = false,
        long srcPackets = 1, long srcBytes = 60, long dstBytes = 0, double duration = 0, string uid = "", string service = "", ushort sport = 40000)
        => new()
        {
            Source = Ip(src),
            Destination = Ip(dst),
            SourcePort = sport,
            DestinationPort = dport,
            Timestamp = ts,
            Protocol = proto,
            ProtocolNumber = (byte)proto,
            Established = established,
            SourcePackets = srcPackets,
            SourceBytes = srcBytes,
            DestinationBytes = dstBytes,
            Duration = duration,
            Uid = uid,
            Service = service,
        };

    public static FlowRecord Icmp(string src, string dst, ushort type, double ts, Protocol proto = Protocol.Icmp) =>
        Flow(src, dst, 0, ts, proto, established: false, sport: type);

    /// <summary>A lookup by <paramref name="src"/> to 8.8.8.8 with its answers; the uid comes from the time.</summary>
    public static DnsRecord Dns(string src, string query, double ts, ushort qtype = 1, int rcode = 0, params string[] answers) => new()
    {
        Source = Ip(src),
        Destination = Ip("8.8.8.8"),
        DestinationPort = 53,
        Timestamp = ts,
        Query = query,
        QueryType = qtype,
        ResponseCode = rcode,
        Answers = answers,
        Uid = "D" + ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>An alert sink that keeps everything.</summary>
internal sealed class RecordingSink : IAlertSink
{
    public List<Evidence> Evidence { get; } = new();

    public List<Alert> Alerts { get; } = new();

    public void OnEvidence(Evidence evidence) => Evidence.Add(evidence);

    public void OnAlert(Alert alert) => Alerts.Add(alert);

    public List<Evidence> OfType(string type) => Evidence.FindAll(e => e.Type == type);
}

/// <summary>A threshold factor fixed per test.</summary>
internal sealed class FixedFactor(double factor) : IThresholdFactor
{
    public double FactorFor(IpAddr profile, double timestamp) => factor;
}

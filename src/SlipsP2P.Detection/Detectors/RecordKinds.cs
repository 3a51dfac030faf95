namespace SlipsP2P.Detection.Detectors;

/// <summary>
/// The kinds of record a detector handles (<see cref="IDetector.HandledKinds"/>): the pipeline calls a detector only for
/// the kinds it names, so a flow is not offered to the detectors that look at DNS answers alone, and the other way
/// round. A detector that watches the traffic clock on every record (to expire what it waits for) names them all.
/// </summary>
[Flags]
public enum RecordKinds
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary><see cref="FlowRecord"/>, through <see cref="IDetector.OnFlow"/>.</summary>
    Flow = 1 << 0,

    /// <summary><see cref="DnsRecord"/>.</summary>
    Dns = 1 << 1,

    /// <summary><see cref="HttpRecord"/>.</summary>
    Http = 1 << 2,

    /// <summary><see cref="TlsRecord"/>.</summary>
    Tls = 1 << 3,

    /// <summary><see cref="SshRecord"/>.</summary>
    Ssh = 1 << 4,

    /// <summary><see cref="NoticeRecord"/>.</summary>
    Notice = 1 << 5,

    /// <summary><see cref="ArpRecord"/>.</summary>
    Arp = 1 << 6,

    /// <summary><see cref="DhcpRecord"/>.</summary>
    Dhcp = 1 << 7,

    /// <summary><see cref="SmtpRecord"/>.</summary>
    Smtp = 1 << 8,

    /// <summary><see cref="LoginRecord"/>.</summary>
    Login = 1 << 9,

    /// <summary>Any other record type.</summary>
    Other = 1 << 10,

    /// <summary>Every record that is not a flow, through <see cref="IDetector.OnRecord"/>.</summary>
    AllRecords = Dns | Http | Tls | Ssh | Notice | Arp | Dhcp | Smtp | Login | Other,

    /// <summary>Everything (the default).</summary>
    All = Flow | AllRecords,
}

/// <summary>Which <see cref="RecordKinds"/> bit a record has.</summary>
public static class RecordKind
{
    /// <summary>Number of single kinds (bits of <see cref="RecordKinds.All"/>).</summary>
    public const int Count = 11;

    /// <summary>The bit index (0 for flows) of <paramref name="record"/>'s kind.</summary>
    public static int IndexOf(NetEvent record) => record switch
    {
        FlowRecord => 0,
        DnsRecord => 1,
        HttpRecord => 2,
        TlsRecord => 3,
        SshRecord => 4,
        NoticeRecord => 5,
        ArpRecord => 6,
        DhcpRecord => 7,
        SmtpRecord => 8,
        LoginRecord => 9,
        _ => 10,
    };
}

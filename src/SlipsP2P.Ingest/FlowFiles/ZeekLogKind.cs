namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>The Zeek logs this project reads (the others in a Zeek directory are ignored).</summary>
public enum ZeekLogKind
{
    /// <summary>Not a supported log.</summary>
    Unknown = 0,
    Conn,
    Dns,
    Http,
    Ssl,
    Ssh,
    Notice,
    Arp,
    Dhcp,
    Smtp,
    Login,
}

/// <summary>Names of Zeek logs.</summary>
public static class ZeekLogKinds
{
    /// <summary>The kind from a #path value or a file name's first part ("conn" of conn.log.labeled).</summary>
    public static ZeekLogKind FromPath(ReadOnlySpan<char> path) => path switch
    {
        "conn" => ZeekLogKind.Conn,
        "dns" => ZeekLogKind.Dns,
        "http" => ZeekLogKind.Http,
        "ssl" => ZeekLogKind.Ssl,
        "ssh" => ZeekLogKind.Ssh,
        "notice" => ZeekLogKind.Notice,
        "arp" => ZeekLogKind.Arp,
        "dhcp" => ZeekLogKind.Dhcp,
        "smtp" => ZeekLogKind.Smtp,
        "login" => ZeekLogKind.Login,
        _ => ZeekLogKind.Unknown,
    };

    /// <summary>
    /// The kind of a log from its file name: conn.log, conn.log.labeled, conn.12:00:00-13:00:00.log (rotated);
    /// <see cref="ZeekLogKind.Unknown"/> for anything else.
    /// </summary>
    public static ZeekLogKind FromFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        int dot = fileName.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !fileName.Contains(".log", StringComparison.Ordinal)) return ZeekLogKind.Unknown;
        return FromPath(fileName.AsSpan(0, dot));
    }
}

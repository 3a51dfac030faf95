namespace SlipsP2P.Core;

/// <summary>
/// One record handed from ingest to detection: a flow or an application-layer record (DNS, HTTP, TLS, SSH, ...).
/// Every record carries the traffic's own timestamp (unix seconds) so that offline analysis uses the capture's clock.
/// </summary>
public abstract class NetEvent
{
    /// <summary>Start time, unix seconds with microsecond precision.</summary>
    public double Timestamp { get; set; }

    // The uid as text, or null while it is only packed (made on first read). Most records' uids are only ever read
    // packed, by detectors that keep them so (issue 5: a 249k-line conn.log made a 58-byte string per line for them).
    private string? _uid = "";
    private PackedUid _packedUid;

    /// <summary>The flow uid this record belongs to (Zeek's uid), or empty.</summary>
    public string Uid
    {
        get => _uid ??= _packedUid.ToString();
        set
        {
            _uid = value ?? "";
            _packedUid = default;
        }
    }

    /// <summary>True when the record has a uid (without making its text).</summary>
    public bool HasUid => _uid is null || _uid.Length > 0;

    /// <summary>Sets the uid from its packed form; <see cref="Uid"/> makes the text only when read.</summary>
    public void SetUid(PackedUid uid)
    {
        _packedUid = uid;
        _uid = uid.IsEmpty ? "" : null;
    }

    /// <summary>
    /// Sets the uid from its UTF-8 text as read from a file: packed when it packs (Zeek's uids and Suricata's flow ids
    /// do), so that no string is made unless <see cref="Uid"/> is read; as text otherwise.
    /// </summary>
    public void SetUidFromUtf8(ReadOnlySpan<byte> utf8)
    {
        if (PackedUid.TryPack(utf8, out var packed)) SetUid(packed);
        else Uid = System.Text.Encoding.UTF8.GetString(utf8);
    }

    /// <summary>
    /// The uid packed, without making its text: true when the record's uid packs, as
    /// <see cref="PackedUid.TryPack(ReadOnlySpan{char}, out PackedUid)"/> would (the empty uid packs to the empty value);
    /// false when it does not, and then <see cref="Uid"/> is the text.
    /// </summary>
    public bool TryGetPackedUid(out PackedUid uid)
    {
        if (!_packedUid.IsEmpty)
        {
            uid = _packedUid;
            return true;
        }

        return PackedUid.TryPack(_uid, out uid);
    }

    /// <summary>Originator (client) address.</summary>
    public IpAddr Source { get; set; }

    /// <summary>Responder (server) address.</summary>
    public IpAddr Destination { get; set; }

    /// <summary>Originator port (ICMP: type).</summary>
    public ushort SourcePort { get; set; }

    /// <summary>Responder port (ICMP: code).</summary>
    public ushort DestinationPort { get; set; }

    /// <summary>Where the record came from: file name plus line, or packet number, for messages.</summary>
    public long SourceLine { get; set; }
}

/// <summary>A bidirectional connection summary, shaped like a Zeek conn.log line.</summary>
public sealed class FlowRecord : NetEvent
{
    public Protocol Protocol { get; set; }

    /// <summary>The IANA protocol number (also for <see cref="Protocol.Other"/>).</summary>
    public byte ProtocolNumber { get; set; }

    /// <summary>Duration in seconds.</summary>
    public double Duration { get; set; }

    /// <summary>Payload bytes from originator (Zeek orig_bytes; Argus: SrcBytes).</summary>
    public long SourceBytes { get; set; }

    /// <summary>Payload bytes from responder.</summary>
    public long DestinationBytes { get; set; }

    /// <summary>Packets from originator.</summary>
    public long SourcePackets { get; set; }

    /// <summary>Packets from responder.</summary>
    public long DestinationPackets { get; set; }

    /// <summary>IP-level bytes from originator (headers included).</summary>
    public long SourceIpBytes { get; set; }

    /// <summary>IP-level bytes from responder.</summary>
    public long DestinationIpBytes { get; set; }

    /// <summary>Zeek connection state, when known.</summary>
    public ConnState State { get; set; }

    /// <summary>The input's own state text (Argus "CON", "FIN", "S_RA"; Suricata "closed"), kept for display.</summary>
    public string StateText { get; set; } = "";

    /// <summary>Zeek history string (ShADadFf ...), or empty.</summary>
    public string History { get; set; } = "";

    /// <summary>Detected application protocol (Zeek service), or empty.</summary>
    public string Service { get; set; } = "";

    /// <summary>Whether the connection was established (Slips' "Established" versus "Not Established").</summary>
    public bool Established { get; set; }

    /// <summary>Source MAC address when known, else empty.</summary>
    public string SourceMac { get; set; } = "";

    // A string, or the Utf8TextBlock that holds the text at the offset beside it until it is first read.
    private object _communityId = "";
    private object _aid = "";
    private ushort _communityIdAt;
    private ushort _aidAt;

    /// <summary>Community ID v1 ("1:base64"), or empty when not computed.</summary>
    public string CommunityId
    {
        get => _communityId is Utf8TextBlock ? Materialise(ref _communityId, _communityIdAt) : (string)_communityId;
        set => _communityId = value;
    }

    /// <summary>AID ("2:base64"): the Community ID combined with the flow start time (Slips' aid_hash), or empty.</summary>
    public string Aid
    {
        get => _aid is Utf8TextBlock ? Materialise(ref _aid, _aidAt) : (string)_aid;
        set => _aid = value;
    }

    /// <summary>
    /// Sets <see cref="CommunityId"/> to the text at <paramref name="offset"/> of <paramref name="block"/>, made into a
    /// string only when read (a flow file's Community IDs are read only when flows are written out).
    /// </summary>
    public void SetCommunityIdText(Utf8TextBlock block, ushort offset)
    {
        ArgumentNullException.ThrowIfNull(block);
        _communityIdAt = offset;
        _communityId = block;
    }

    /// <summary>Sets <see cref="Aid"/> to a text of <paramref name="block"/>, as <see cref="SetCommunityIdText"/> does.</summary>
    public void SetAidText(Utf8TextBlock block, ushort offset)
    {
        ArgumentNullException.ThrowIfNull(block);
        _aidAt = offset;
        _aid = block;
    }

    private static string Materialise(ref object field, ushort offset)
    {
        string s = ((Utf8TextBlock)field).GetString(offset);
        field = s;
        return s;
    }

    /// <summary>Ground-truth label from labelled datasets (Argus Label column, Zeek label field), or empty.</summary>
    public string Label { get; set; } = "";

    /// <summary>Total bytes both ways (payload).</summary>
    public long TotalBytes => SourceBytes + DestinationBytes;

    /// <summary>A copy of the record (its texts are shared: they never change).</summary>
    public FlowRecord Clone() => (FlowRecord)MemberwiseClone();

    /// <summary>Every field back to what a new record has, so that the object can be reused for another flow.</summary>
    public void Reset()
    {
        Timestamp = 0;
        Uid = "";
        Source = default;
        Destination = default;
        SourcePort = 0;
        DestinationPort = 0;
        SourceLine = 0;
        Protocol = default;
        ProtocolNumber = 0;
        Duration = 0;
        SourceBytes = 0;
        DestinationBytes = 0;
        SourcePackets = 0;
        DestinationPackets = 0;
        SourceIpBytes = 0;
        DestinationIpBytes = 0;
        State = default;
        StateText = "";
        History = "";
        Service = "";
        Established = false;
        SourceMac = "";
        _communityId = "";
        _aid = "";
        _communityIdAt = 0;
        _aidAt = 0;
        Label = "";
    }

    /// <summary>Total packets both ways.</summary>
    public long TotalPackets => SourcePackets + DestinationPackets;
}

/// <summary>A DNS transaction (Zeek dns.log).</summary>
public sealed class DnsRecord : NetEvent
{
    public Protocol Protocol { get; set; } = Protocol.Udp;
    public ushort TransactionId { get; set; }
    public string Query { get; set; } = "";
    /// <summary>Query type number (1 A, 28 AAAA, 16 TXT, 12 PTR ...).</summary>
    public ushort QueryType { get; set; }
    /// <summary>Query type name as Zeek prints it (A, AAAA, TXT ...).</summary>
    public string QueryTypeName { get; set; } = "";
    /// <summary>Response code (0 NOERROR, 3 NXDOMAIN ...), -1 when no response was seen.</summary>
    public int ResponseCode { get; set; } = -1;
    /// <summary>Response code name (NOERROR, NXDOMAIN ...) or empty.</summary>
    public string ResponseCodeName { get; set; } = "";
    /// <summary>Answers as text: addresses, names, TXT strings.</summary>
    public IReadOnlyList<string> Answers { get; set; } = Array.Empty<string>();
    /// <summary>TTLs, parallel to <see cref="Answers"/>.</summary>
    public IReadOnlyList<double> Ttls { get; set; } = Array.Empty<double>();
}

/// <summary>An HTTP request/response pair (Zeek http.log).</summary>
public sealed class HttpRecord : NetEvent
{
    public string Method { get; set; } = "";
    public string Host { get; set; } = "";
    public string Uri { get; set; } = "";
    public string UserAgent { get; set; } = "";
    public int StatusCode { get; set; }
    public long RequestBodyLength { get; set; }
    public long ResponseBodyLength { get; set; }
    public string ResponseMimeType { get; set; } = "";
}

/// <summary>A TLS handshake (Zeek ssl.log).</summary>
public sealed class TlsRecord : NetEvent
{
    public string Version { get; set; } = "";
    public string ServerName { get; set; } = "";
    public string Ja3 { get; set; } = "";
    public string Ja3s { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Issuer { get; set; } = "";
    /// <summary>Zeek validation_status ("ok", "self signed certificate" ...), or empty.</summary>
    public string ValidationStatus { get; set; } = "";
    public bool Established { get; set; }
}

/// <summary>An SSH session (Zeek ssh.log).</summary>
public sealed class SshRecord : NetEvent
{
    public string Client { get; set; } = "";
    public string Server { get; set; } = "";
    /// <summary>Zeek auth_success: true, false, or null when unknown.</summary>
    public bool? AuthSuccess { get; set; }
    public int AuthAttempts { get; set; }
    /// <summary>Bytes both ways of the underlying connection, when known (Slips' size heuristic for success).</summary>
    public long TotalBytes { get; set; }
}

/// <summary>A Zeek notice (notice.log), such as SSH::Password_Guessing or Scan::Port_Scan.</summary>
public sealed class NoticeRecord : NetEvent
{
    public string Note { get; set; } = "";
    public string Message { get; set; } = "";
    public string SubMessage { get; set; } = "";
}

/// <summary>An ARP packet (captures, Zeek arp.log).</summary>
public sealed class ArpRecord : NetEvent
{
    /// <summary>1 request, 2 reply.</summary>
    public int Operation { get; set; }
    public string SourceMac { get; set; } = "";
    public string DestinationMac { get; set; } = "";
}

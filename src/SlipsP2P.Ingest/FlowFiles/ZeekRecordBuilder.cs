using System.Text;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Builds one record of a Zeek log from (field, value) pairs, whatever the log's encoding (TSV or JSON). Values come
/// unescaped and set; unset fields are never passed. The first bad value is remembered and fails the record.
/// </summary>
internal sealed class ZeekRecordBuilder
{
    private readonly StringCache _strings = new();
    private readonly List<string> _listScratch = new();
    private NetEvent? _record;
    private ZeekLogKind _kind;
    private bool _hasTs;
    private bool _hasOrig;
    private bool _hasResp;
    private string? _error;

    /// <summary>The log kind of the records being built.</summary>
    public ZeekLogKind Kind => _kind;

    /// <summary>Reuses strings across records; exposed for the list splitter.</summary>
    public StringCache Strings => _strings;

    /// <summary>Whether conn records keep the log's community_id and aid (see <see cref="ZeekLogSource.KeepFlowIds"/>).</summary>
    public bool KeepFlowIds { get; set; } = true;

    /// <summary>Where conn records' objects come from (reused ones while a block's sink keeps none).</summary>
    public RecycledFlows Flows { get; } = new();

    /// <summary>Starts a record of <paramref name="kind"/>.</summary>
    public void Begin(ZeekLogKind kind, long line)
    {
        _kind = kind;
        _hasTs = _hasOrig = _hasResp = false;
        _error = null;
        _record = kind switch
        {
            ZeekLogKind.Conn => Flows.Take(line),
            ZeekLogKind.Dns => new DnsRecord(),
            ZeekLogKind.Http => new HttpRecord(),
            ZeekLogKind.Ssl => new TlsRecord(),
            ZeekLogKind.Ssh => new SshRecord(),
            ZeekLogKind.Notice => new NoticeRecord(),
            ZeekLogKind.Arp => new ArpRecord(),
            ZeekLogKind.Dhcp => new DhcpRecord(),
            ZeekLogKind.Smtp => new SmtpRecord(),
            ZeekLogKind.Login => new LoginRecord(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unsupported Zeek log"),
        };
        _record.SourceLine = line;
    }

    private void Fail(ZeekField field, ReadOnlySpan<byte> value)
    {
        _error ??= $"bad {ZeekFieldNames.Of(field)} '{FieldText.Preview(value)}'";
    }

    /// <summary>Sets a scalar field (a list field given as a scalar becomes a one-element list).</summary>
    public void Set(ZeekField field, ReadOnlySpan<byte> v)
    {
        var r = _record!;
        switch (field)
        {
            case ZeekField.Ts:
                if (FieldText.TryParseTime(v, out double ts)) { r.Timestamp = ts; _hasTs = true; }
                else Fail(field, v);
                return;
            case ZeekField.Uid:
                r.Uid = Encoding.UTF8.GetString(v);
                return;
            case ZeekField.OrigH:
            case ZeekField.ArpOrigH when _kind == ZeekLogKind.Arp:
            case ZeekField.Src when _kind == ZeekLogKind.Notice && !_hasOrig:
                if (FieldText.TryParseIp(v, out var a)) { r.Source = a; _hasOrig = true; }
                else Fail(field, v);
                return;
            case ZeekField.RespH:
            case ZeekField.ArpRespH when _kind == ZeekLogKind.Arp:
            case ZeekField.Dst when _kind == ZeekLogKind.Notice && !_hasResp:
                if (FieldText.TryParseIp(v, out var b)) { r.Destination = b; _hasResp = true; }
                else Fail(field, v);
                return;
            case ZeekField.OrigP:
                if (FieldText.TryParsePort(v, out ushort sp)) r.SourcePort = sp;
                else Fail(field, v);
                return;
            case ZeekField.RespP:
            case ZeekField.P when _kind == ZeekLogKind.Notice && r.DestinationPort == 0:
                if (FieldText.TryParsePort(v, out ushort dp)) r.DestinationPort = dp;
                else Fail(field, v);
                return;
            case ZeekField.Answers or ZeekField.Ttls or ZeekField.RespMimeTypes:
                _listScratch.Clear();
                _listScratch.Add(Encoding.UTF8.GetString(v));
                SetList(field, _listScratch);
                return;
        }

        switch (r)
        {
            case FlowRecord f: SetConn(f, field, v); break;
            case DnsRecord d: SetDns(d, field, v); break;
            case HttpRecord h: SetHttp(h, field, v); break;
            case TlsRecord t: SetTls(t, field, v); break;
            case SshRecord s: SetSsh(s, field, v); break;
            case NoticeRecord n: SetNotice(n, field, v); break;
            case ArpRecord p: SetArp(p, field, v); break;
            case DhcpRecord dh: SetDhcp(dh, field, v); break;
            case SmtpRecord sm: SetSmtp(sm, field, v); break;
            case LoginRecord lg: SetLogin(lg, field, v); break;
        }
    }

    private void SetConn(FlowRecord f, ZeekField field, ReadOnlySpan<byte> v)
    {
        if (!ZeekConnLine.SetConnField(f, field, v, _strings, KeepFlowIds)) Fail(field, v);
    }

    private void SetDns(DnsRecord d, ZeekField field, ReadOnlySpan<byte> v)
    {
        long n;
        switch (field)
        {
            case ZeekField.Proto: d.Protocol = ProtocolNames.Parse(Chars(v, stackalloc char[16])); break;
            case ZeekField.TransId: if (Count(field, v, out n) && n <= ushort.MaxValue) d.TransactionId = (ushort)n; break;
            case ZeekField.Query: d.Query = Encoding.UTF8.GetString(v); break;
            case ZeekField.QType: if (Count(field, v, out n) && n <= ushort.MaxValue) d.QueryType = (ushort)n; break;
            case ZeekField.QTypeName: d.QueryTypeName = _strings.Get(v); break;
            case ZeekField.RCode: if (Count(field, v, out n) && n <= int.MaxValue) d.ResponseCode = (int)n; break;
            case ZeekField.RCodeName: d.ResponseCodeName = _strings.Get(v); break;
        }
    }

    private void SetHttp(HttpRecord h, ZeekField field, ReadOnlySpan<byte> v)
    {
        long n;
        switch (field)
        {
            case ZeekField.Method: h.Method = _strings.Get(v); break;
            case ZeekField.Host: h.Host = Encoding.UTF8.GetString(v); break;
            case ZeekField.Uri: h.Uri = Encoding.UTF8.GetString(v); break;
            case ZeekField.UserAgent: h.UserAgent = _strings.Get(v); break;
            case ZeekField.StatusCode: if (Count(field, v, out n) && n <= int.MaxValue) h.StatusCode = (int)n; break;
            case ZeekField.RequestBodyLen: if (Count(field, v, out n)) h.RequestBodyLength = n; break;
            case ZeekField.ResponseBodyLen: if (Count(field, v, out n)) h.ResponseBodyLength = n; break;
        }
    }

    private void SetTls(TlsRecord t, ZeekField field, ReadOnlySpan<byte> v)
    {
        switch (field)
        {
            case ZeekField.Version: t.Version = _strings.Get(v); break;
            case ZeekField.ServerName: t.ServerName = Encoding.UTF8.GetString(v); break;
            case ZeekField.Ja3: t.Ja3 = _strings.Get(v); break;
            case ZeekField.Ja3s: t.Ja3s = _strings.Get(v); break;
            case ZeekField.Subject: t.Subject = Encoding.UTF8.GetString(v); break;
            case ZeekField.Issuer: t.Issuer = _strings.Get(v); break;
            case ZeekField.ValidationStatus: t.ValidationStatus = _strings.Get(v); break;
            case ZeekField.Established:
                if (TryBool(v, out bool e)) t.Established = e;
                else Fail(field, v);
                break;
        }
    }

    private void SetSsh(SshRecord s, ZeekField field, ReadOnlySpan<byte> v)
    {
        switch (field)
        {
            case ZeekField.Client: s.Client = _strings.Get(v); break;
            case ZeekField.Server: s.Server = _strings.Get(v); break;
            case ZeekField.AuthSuccess:
                if (TryBool(v, out bool ok)) s.AuthSuccess = ok;
                else Fail(field, v);
                break;
            case ZeekField.AuthAttempts:
                if (Count(field, v, out long n) && n <= int.MaxValue) s.AuthAttempts = (int)n;
                break;
        }
    }

    private void SetNotice(NoticeRecord n, ZeekField field, ReadOnlySpan<byte> v)
    {
        switch (field)
        {
            case ZeekField.Note: n.Note = _strings.Get(v); break;
            case ZeekField.Msg: n.Message = Encoding.UTF8.GetString(v); break;
            case ZeekField.Sub: n.SubMessage = Encoding.UTF8.GetString(v); break;
        }
    }

    private void SetDhcp(DhcpRecord d, ZeekField field, ReadOnlySpan<byte> v)
    {
        switch (field)
        {
            case ZeekField.ClientAddr:
                if (FieldText.TryParseIp(v, out var c)) { d.Source = c; _hasOrig = true; }
                else Fail(field, v);
                break;
            case ZeekField.ServerAddr:
                if (FieldText.TryParseIp(v, out var s)) { d.Destination = s; _hasResp = true; }
                else Fail(field, v);
                break;
            case ZeekField.RequestedAddr:
                if (FieldText.TryParseIp(v, out var q)) d.RequestedAddress = q;
                else Fail(field, v);
                break;
            case ZeekField.AssignedAddr:
                if (FieldText.TryParseIp(v, out var a)) d.AssignedAddress = a;
                else Fail(field, v);
                break;
            case ZeekField.Mac: d.Mac = _strings.Get(v); break;
        }
    }

    private void SetSmtp(SmtpRecord m, ZeekField field, ReadOnlySpan<byte> v)
    {
        // Replies and addresses are free text from the wire: bounded before they become strings.
        switch (field)
        {
            case ZeekField.LastReply: m.LastReply = Encoding.UTF8.GetString(v[..Math.Min(v.Length, 512)]); break;
            case ZeekField.MailFrom: m.MailFrom = Encoding.UTF8.GetString(v[..Math.Min(v.Length, 320)]); break;
            case ZeekField.Helo: m.Helo = _strings.Get(v[..Math.Min(v.Length, 255)]); break;
        }
    }

    private void SetLogin(LoginRecord l, ZeekField field, ReadOnlySpan<byte> v)
    {
        switch (field)
        {
            case ZeekField.User: l.User = _strings.Get(v[..Math.Min(v.Length, 255)]); break;
            case ZeekField.Service: l.Service = _strings.Get(v); break;
            case ZeekField.Success:
                if (TryBool(v, out bool ok)) l.Success = ok;
                else Fail(field, v);
                break;
        }
    }

    private void SetArp(ArpRecord a, ZeekField field, ReadOnlySpan<byte> v)
    {
        switch (field)
        {
            case ZeekField.Operation:
                if (v.SequenceEqual("request"u8)) a.Operation = 1;
                else if (v.SequenceEqual("reply"u8)) a.Operation = 2;
                else if (Count(field, v, out long op) && op <= int.MaxValue) a.Operation = (int)op;
                break;
            case ZeekField.SrcMac: a.SourceMac = _strings.Get(v); break;
            case ZeekField.DstMac: a.DestinationMac = _strings.Get(v); break;
        }
    }

    /// <summary>Sets a set/vector field; an empty list means "(empty)".</summary>
    public void SetList(ZeekField field, List<string> values)
    {
        switch (_record)
        {
            case DnsRecord d when field == ZeekField.Answers:
                d.Answers = values.Count == 0 ? Array.Empty<string>() : values.ToArray();
                break;
            case DnsRecord d when field == ZeekField.Ttls:
                if (values.Count == 0)
                {
                    d.Ttls = Array.Empty<double>();
                    break;
                }

                var ttls = new double[values.Count];
                for (int i = 0; i < ttls.Length; i++)
                {
                    if (!double.TryParse(values[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out ttls[i]))
                    {
                        _error ??= $"bad TTLs '{values[i]}'";
                    }
                }

                d.Ttls = ttls;
                break;
            case HttpRecord h when field == ZeekField.RespMimeTypes && values.Count > 0:
                h.ResponseMimeType = values[0];
                break;
        }
    }

    /// <summary>Finishes the record: null and an error message when it cannot be used.</summary>
    public NetEvent? Finish(out string? error)
    {
        var r = _record!;
        _record = null;
        if (_error is null && !_hasTs) _error = "missing ts";
        if (_error is null && (_kind is ZeekLogKind.Conn or ZeekLogKind.Dns or ZeekLogKind.Http or ZeekLogKind.Ssl or ZeekLogKind.Ssh or ZeekLogKind.Smtp or ZeekLogKind.Login)
            && (!_hasOrig || !_hasResp))
        {
            _error = !_hasOrig ? "missing id.orig_h" : "missing id.resp_h";
        }

        error = _error;
        if (error is not null) return null;
        if (r is FlowRecord f) ZeekConnLine.Complete(f);

        return r;
    }

    /// <summary>Zeek's conn_state names (Enum.TryParse is too slow for once per line).</summary>
    internal static ConnState ParseConnState(ReadOnlySpan<byte> v) => v.Length switch
    {
        2 when v[0] == (byte)'S' => v[1] switch
        {
            (byte)'0' => ConnState.S0,
            (byte)'1' => ConnState.S1,
            (byte)'F' => ConnState.SF,
            (byte)'2' => ConnState.S2,
            (byte)'3' => ConnState.S3,
            (byte)'H' => ConnState.SH,
            _ => ConnState.Unknown,
        },
        3 when v.SequenceEqual("REJ"u8) => ConnState.REJ,
        3 when v.SequenceEqual("OTH"u8) => ConnState.OTH,
        3 when v.SequenceEqual("SHR"u8) => ConnState.SHR,
        4 when v.SequenceEqual("RSTO"u8) => ConnState.RSTO,
        4 when v.SequenceEqual("RSTR"u8) => ConnState.RSTR,
        5 when v.SequenceEqual("RSTRH"u8) => ConnState.RSTRH,
        6 when v.SequenceEqual("RSTOS0"u8) => ConnState.RSTOS0,
        _ => ConnState.Unknown,
    };

    private bool Count(ZeekField field, ReadOnlySpan<byte> v, out long n)
    {
        if (FieldText.TryParseCount(v, out n)) return true;
        Fail(field, v);
        return false;
    }

    private static bool TryBool(ReadOnlySpan<byte> v, out bool b)
    {
        if (v.SequenceEqual("T"u8) || v.SequenceEqual("true"u8)) { b = true; return true; }
        if (v.SequenceEqual("F"u8) || v.SequenceEqual("false"u8)) { b = false; return true; }
        b = false;
        return false;
    }

    private static ReadOnlySpan<char> Chars(ReadOnlySpan<byte> v, Span<char> buffer)
    {
        int n = Math.Min(v.Length, buffer.Length);
        for (int i = 0; i < n; i++) buffer[i] = (char)v[i];
        return v.Length > buffer.Length ? ReadOnlySpan<char>.Empty : buffer[..n];
    }
}

/// <summary>Zeek field names for messages.</summary>
internal static class ZeekFieldNames
{
    public static string Of(ZeekField f) => f switch
    {
        ZeekField.Ts => "ts",
        ZeekField.OrigH => "id.orig_h",
        ZeekField.OrigP => "id.orig_p",
        ZeekField.RespH => "id.resp_h",
        ZeekField.RespP => "id.resp_p",
        ZeekField.Duration => "duration",
        ZeekField.OrigBytes => "orig_bytes",
        ZeekField.RespBytes => "resp_bytes",
        ZeekField.OrigPkts => "orig_pkts",
        ZeekField.RespPkts => "resp_pkts",
        ZeekField.OrigIpBytes => "orig_ip_bytes",
        ZeekField.RespIpBytes => "resp_ip_bytes",
        _ => f.ToString(),
    };
}

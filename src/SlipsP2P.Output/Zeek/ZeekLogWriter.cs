using System.Globalization;
using System.Text;
using SlipsP2P.Core;

namespace SlipsP2P.Output.Zeek;

/// <summary>
/// Writes conn.log and dns.log in Zeek's ASCII (TSV) format, headers and #close footer as Zeek writes them, so that
/// zeek-cut and Zeek readers (ours included) read them. conn.log carries two extra columns at the end: community_id
/// (as Zeek's community-id package adds it) and aid (Slips' flow hash). Each log is created on its first record.
/// </summary>
public sealed class ZeekLogWriter : IDisposable
{
    private readonly string _directory;
    private readonly TimeProvider _time;
    private ZeekTsvLog? _conn;
    private ZeekTsvLog? _dns;

    /// <summary>Writes into <paramref name="directory"/> (created when missing).</summary>
    public ZeekLogWriter(string directory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        _directory = directory;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Path of conn.log.</summary>
    public string ConnPath => Path.Combine(_directory, "conn.log");

    /// <summary>Path of dns.log.</summary>
    public string DnsPath => Path.Combine(_directory, "dns.log");

    /// <summary>Appends a flow to conn.log.</summary>
    public void Write(FlowRecord flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        _conn ??= new ZeekTsvLog(new FileStream(ConnPath, FileMode.Create, FileAccess.Write, FileShare.Read), "conn", ZeekTsvLog.ConnFields, _time);
        _conn.WriteConn(flow);
    }

    /// <summary>Appends a DNS transaction to dns.log.</summary>
    public void Write(DnsRecord dns)
    {
        ArgumentNullException.ThrowIfNull(dns);
        _dns ??= new ZeekTsvLog(new FileStream(DnsPath, FileMode.Create, FileAccess.Write, FileShare.Read), "dns", ZeekTsvLog.DnsFields, _time);
        _dns.WriteDns(dns);
    }

    /// <summary>Writes a record of a supported kind; returns false for the others.</summary>
    public bool TryWrite(NetEvent record) => record switch
    {
        FlowRecord f => Do(() => Write(f)),
        DnsRecord d => Do(() => Write(d)),
        _ => false,
    };

    private static bool Do(Action a)
    {
        a();
        return true;
    }

    /// <summary>Flushes both logs.</summary>
    public void Flush()
    {
        _conn?.Flush();
        _dns?.Flush();
    }

    /// <summary>Writes the #close footers and closes the files.</summary>
    public void Dispose()
    {
        _conn?.Dispose();
        _dns?.Dispose();
        _conn = _dns = null;
    }
}

/// <summary>One Zeek ASCII log being written to a stream.</summary>
public sealed class ZeekTsvLog : IDisposable
{
    /// <summary>conn.log columns and types, with community_id and aid appended.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> ConnFields =
    [
        ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"), ("id.resp_p", "port"),
        ("proto", "enum"), ("service", "string"), ("duration", "interval"), ("orig_bytes", "count"), ("resp_bytes", "count"),
        ("conn_state", "string"), ("local_orig", "bool"), ("local_resp", "bool"), ("missed_bytes", "count"), ("history", "string"),
        ("orig_pkts", "count"), ("orig_ip_bytes", "count"), ("resp_pkts", "count"), ("resp_ip_bytes", "count"),
        ("tunnel_parents", "set[string]"), ("community_id", "string"), ("aid", "string"),
    ];

    /// <summary>dns.log columns and types.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> DnsFields =
    [
        ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"), ("id.resp_p", "port"),
        ("proto", "enum"), ("trans_id", "count"), ("rtt", "interval"), ("query", "string"), ("qclass", "count"), ("qclass_name", "string"),
        ("qtype", "count"), ("qtype_name", "string"), ("rcode", "count"), ("rcode_name", "string"), ("AA", "bool"), ("TC", "bool"),
        ("RD", "bool"), ("RA", "bool"), ("Z", "count"), ("answers", "vector[string]"), ("TTLs", "vector[interval]"), ("rejected", "bool"),
    ];

    private const char Sep = '\t';
    private const string Unset = "-";
    private const string Empty = "(empty)";
    private readonly StreamWriter _out;
    private readonly TimeProvider _time;
    private bool _closed;

    /// <summary>Starts a log on <paramref name="stream"/>, writing its header.</summary>
    public ZeekTsvLog(Stream stream, string path, IReadOnlyList<(string Name, string Type)> fields, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(fields);
        _time = timeProvider ?? TimeProvider.System;
        _out = new StreamWriter(stream, new UTF8Encoding(false), 64 * 1024) { NewLine = "\n" };
        _out.Write("#separator \\x09\n");
        _out.Write("#set_separator\t,\n");
        _out.Write("#empty_field\t(empty)\n");
        _out.Write("#unset_field\t-\n");
        _out.Write("#path\t" + path + "\n");
        _out.Write("#open\t" + Stamp() + "\n");
        _out.Write("#fields");
        foreach (var f in fields) _out.Write(Sep + f.Name);
        _out.Write("\n#types");
        foreach (var f in fields) _out.Write(Sep + f.Type);
        _out.Write('\n');
    }

    private string Stamp() => _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd-HH-mm-ss", CultureInfo.InvariantCulture);

    /// <summary>Writes one conn.log line (columns of <see cref="ConnFields"/>).</summary>
    public void WriteConn(FlowRecord f)
    {
        ArgumentNullException.ThrowIfNull(f);
        Time(f.Timestamp);
        Str(f.Uid);
        Addr(f.Source);
        Num(f.SourcePort);
        Addr(f.Destination);
        Num(f.DestinationPort);
        Raw(ZeekProto(f.Protocol));
        Str(f.Service);
        Interval(f.Duration);
        Num(f.SourceBytes);
        Num(f.DestinationBytes);
        Raw(f.State == ConnState.Unknown ? Unset : f.State.ToZeek());
        Raw(Unset);
        Raw(Unset);
        Num(0);
        Str(f.History);
        Num(f.SourcePackets);
        Num(f.SourceIpBytes);
        Num(f.DestinationPackets);
        Num(f.DestinationIpBytes);
        Raw(Unset);
        Str(f.CommunityId);
        Str(f.Aid, last: true);
    }

    /// <summary>Writes one dns.log line (columns of <see cref="DnsFields"/>).</summary>
    public void WriteDns(DnsRecord d)
    {
        ArgumentNullException.ThrowIfNull(d);
        Time(d.Timestamp);
        Str(d.Uid);
        Addr(d.Source);
        Num(d.SourcePort);
        Addr(d.Destination);
        Num(d.DestinationPort);
        Raw(ZeekProto(d.Protocol));
        Num(d.TransactionId);
        Raw(Unset);
        Str(d.Query);
        Raw(Unset);
        Raw(Unset);
        if (d.QueryType == 0) Raw(Unset); else Num(d.QueryType);
        Str(d.QueryTypeName);
        if (d.ResponseCode < 0) Raw(Unset); else Num(d.ResponseCode);
        Str(d.ResponseCodeName);
        Raw("F");
        Raw("F");
        Raw("T");
        Raw(d.ResponseCode >= 0 ? "T" : "F");
        Num(0);
        List(d.Answers);
        Ttls(d.Ttls);
        Raw("F", last: true);
    }

    private static string ZeekProto(Protocol p) => p switch
    {
        Protocol.Tcp => "tcp",
        Protocol.Udp => "udp",
        Protocol.Icmp or Protocol.Icmp6 => "icmp",
        _ => "unknown_transport",
    };

    private void End(bool last) => _out.Write(last ? '\n' : Sep);

    private void Raw(string s, bool last = false)
    {
        _out.Write(s);
        End(last);
    }

    private void Time(double ts, bool last = false)
    {
        Span<char> b = stackalloc char[32];
        _out.Write(ts.TryFormat(b, out int n, "F6", CultureInfo.InvariantCulture) ? b[..n] : "-");
        End(last);
    }

    private void Interval(double seconds, bool last = false) => Time(seconds, last);

    private void Num(long v, bool last = false)
    {
        Span<char> b = stackalloc char[24];
        v.TryFormat(b, out int n, default, CultureInfo.InvariantCulture);
        _out.Write(b[..n]);
        End(last);
    }

    private void Addr(IpAddr a, bool last = false)
    {
        _out.Write(a.ToString());
        End(last);
    }

    /// <summary>A string column: empty is unset; separators, the set separator and non-printable bytes are \xHH.</summary>
    private void Str(string s, bool last = false)
    {
        if (string.IsNullOrEmpty(s)) _out.Write(Unset);
        else Escaped(s, inSet: false);
        End(last);
    }

    private void Escaped(string s, bool inSet)
    {
        // Zeek escapes a value that would read as the unset or empty marker.
        if (s == Unset || s == Empty)
        {
            _out.Write("\\x");
            _out.Write(((int)s[0]).ToString("x2", CultureInfo.InvariantCulture));
            _out.Write(s.AsSpan(1));
            return;
        }

        foreach (char c in s)
        {
            if (c < 0x20 || c == 0x7F || c == '\\' || (inSet && c == ','))
            {
                _out.Write("\\x");
                _out.Write(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                _out.Write(c);
            }
        }
    }

    private void List(IReadOnlyList<string> items, bool last = false)
    {
        if (items.Count == 0)
        {
            _out.Write(Unset);
        }
        else
        {
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0) _out.Write(',');
                if (items[i].Length == 0) _out.Write(Empty);
                else Escaped(items[i], inSet: true);
            }
        }

        End(last);
    }

    private void Ttls(IReadOnlyList<double> ttls, bool last = false)
    {
        if (ttls.Count == 0)
        {
            _out.Write(Unset);
        }
        else
        {
            Span<char> b = stackalloc char[32];
            for (int i = 0; i < ttls.Count; i++)
            {
                if (i > 0) _out.Write(',');
                _out.Write(ttls[i].TryFormat(b, out int n, "F6", CultureInfo.InvariantCulture) ? b[..n] : "0.000000");
            }
        }

        End(last);
    }

    /// <summary>Flushes buffered lines to the stream.</summary>
    public void Flush() => _out.Flush();

    /// <summary>Writes the #close footer and closes the stream.</summary>
    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        _out.Write("#close\t" + Stamp() + "\n");
        _out.Dispose();
    }
}

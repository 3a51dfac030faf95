using System.Text;
using System.Text.Json;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Suricata's eve.json, one event per line. event_type flow becomes a <see cref="FlowRecord"/> (times from
/// flow.start/flow.end, Established from flow.state as Slips reads it), dns (eve v1: one event per answer; v2:
/// "answers"/"grouped"; v3: "queries") a <see cref="DnsRecord"/>, http an <see cref="HttpRecord"/>, tls a
/// <see cref="TlsRecord"/>, ssh an <see cref="SshRecord"/>. Alerts and other event types are counted and skipped
/// without a message, as Slips ignores them.
/// </summary>
public sealed class SuricataSource : IEventSource, IParallelParse
{
    private const int MaxDepth = 32;
    private const int MaxAnswers = 256;

    private readonly string? _path;
    private readonly Stream? _stream;
    private readonly int _maxLineLength;
    private readonly StringCache _strings;
    private readonly EveFlowLine _flowLine;
    private bool _ran;

    /// <summary>Reads an eve.json file.</summary>
    /// <exception cref="InputException">The file does not exist.</exception>
    public SuricataSource(string path, int maxLineLength = LineReader.DefaultMaxLineLength)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InputException($"{path}: no such file");
        _path = path;
        Name = path;
        _maxLineLength = maxLineLength;
        _strings = new StringCache();
        _flowLine = new EveFlowLine(_strings);
    }

    /// <summary>Reads eve.json lines from a stream (standard input).</summary>
    public SuricataSource(Stream stream, string name, int maxLineLength = LineReader.DefaultMaxLineLength)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        Name = name;
        _maxLineLength = maxLineLength;
        _strings = new StringCache();
        _flowLine = new EveFlowLine(_strings);
    }

    /// <summary>A worker's parser for <see cref="LineBlockPipeline"/>: caches of its own.</summary>
    private SuricataSource(SuricataSource owner)
    {
        Name = owner.Name;
        _maxLineLength = owner._maxLineLength;
        FastPath = owner.FastPath;
        _strings = new StringCache();
        _flowLine = new EveFlowLine(_strings);
    }

    public string Name { get; }

    public string Kind => "suricata";

    /// <summary>
    /// Threads that parse a file (not standard input) of at least two blocks while the caller takes the records in
    /// order (<see cref="LineBlockPipeline"/>); 1 reads it on the calling thread. Defaults to the processor count.
    /// </summary>
    public int ParseThreads { get; set; } = LineBlockPipeline.DefaultWorkers;

    /// <summary>Bytes per block of the parallel parse; tests make it tiny to cut lines at every place.</summary>
    internal int BlockSize { get; set; } = LineBlockPipeline.DefaultBlockSize;

    /// <summary>Whether the last run took the parallel parse (tests check that their input was big enough).</summary>
    internal bool RanInBlocks { get; private set; }

    public IngestStats Stats { get; } = new();

    /// <summary>Whether flow events take the fast path (<see cref="EveFlowLine"/>); tests compare both.</summary>
    internal bool FastPath { get; set; } = true;

    /// <summary>Events of a type that is not read (alert, fileinfo, anomaly, stats ...).</summary>
    public long Ignored { get; private set; }

    public void Run(IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_ran) throw new InvalidOperationException("a source can be run once");
        _ran = true;
        Stream stream = _stream ?? OpenFile(_path!);
        if (_stream is null && LineBlockPipeline.Worthwhile(stream, ParseThreads, BlockSize))
        {
            RanInBlocks = true;
            RunBlocks(stream, sink, cancellationToken);
            return;
        }

        using var lines = new LineReader(stream, _maxLineLength);
        try
        {
            while (lines.NextRecord(out var line, Stats, Name, cancellationToken))
            {
                OnRecord(lines.Buffer.AsMemory(lines.LineOffset, line.Length), lines.LineNumber, Stats, sink);
            }
        }
        finally
        {
            Stats.Bytes = lines.BytesRead;
        }
    }

    private void RunBlocks(Stream stream, IEventSink sink, CancellationToken cancellationToken)
    {
        LineBlockPipeline.Run(stream, Stats, () => new BlockParser(this), null, ParseThreads, BlockSize, _maxLineLength, sink, cancellationToken,
                              n => Ignored += n);
    }

    /// <summary>One event line (not blank, within the limit).</summary>
    private void OnRecord(ReadOnlyMemory<byte> text, long lineNumber, IngestStats stats, IEventSink sink)
    {
        var line = text.Span;
        stats.Records++;
        switch (FastPath ? _flowLine.TryRead(line, lineNumber, out var flow) : General(out flow))
        {
            case EveLineResult.Flow:
                stats.Flows++;
                sink.OnEvent(flow!);
                return;
            case EveLineResult.Ignored:
                Ignored++;
                return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            stats.Skip($"{Name}: line {lineNumber}: invalid JSON ({FirstSentence(e.Message)})");
            return;
        }

        using (doc)
        {
            NetEvent? record;
            string? error;
            try
            {
                record = Convert(doc.RootElement, lineNumber, out error);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                record = null;
                error = "unexpected value type (" + e.Message + ")";
            }

            if (error is not null)
            {
                stats.Skip($"{Name}: line {lineNumber}: {error}");
            }
            else if (record is null)
            {
                Ignored++;
            }
            else
            {
                if (record is FlowRecord) stats.Flows++;
                sink.OnEvent(record);
            }
        }
    }

    /// <summary>One worker's parser: a copy of the source with caches of its own.</summary>
    private sealed class BlockParser(SuricataSource owner) : IBlockParser, IDisposable
    {
        private readonly SuricataSource _parser = new(owner);

        public void Parse(LineBlock block, CancellationToken cancellationToken)
        {
            var lines = new BlockLines(block, owner._maxLineLength);
            long ignored = _parser.Ignored;
            while (lines.NextRecord(out var line, block.Stats, owner.Name, cancellationToken))
            {
                _parser.OnRecord(block.Data.AsMemory(lines.Offset, line.Length), lines.LineNumber, block.Stats, block);
            }

            block.Ignored = _parser.Ignored - ignored;
        }

        public void Dispose() => _parser.Dispose();
    }

    private static EveLineResult General(out FlowRecord? flow)
    {
        flow = null;
        return EveLineResult.General;
    }

    private NetEvent? Convert(JsonElement e, long lineNumber, out string? error)
    {
        error = null;
        if (e.ValueKind != JsonValueKind.Object) { error = "not a JSON object"; return null; }
        if (!e.TryGetProperty("event_type", out var et) || et.ValueKind != JsonValueKind.String) { error = "no event_type"; return null; }
        string type = et.GetString()!;
        NetEvent? r = type switch
        {
            "flow" => new FlowRecord(),
            "dns" => new DnsRecord(),
            "http" => new HttpRecord(),
            "tls" => new TlsRecord(),
            "ssh" => new SshRecord(),
            _ => null,
        };
        if (r is null) return null;

        r.SourceLine = lineNumber;
        if (!Ip(e, "src_ip", out var src, ref error) || !Ip(e, "dest_ip", out var dst, ref error)) return null;
        r.Source = src;
        r.Destination = dst;
        r.SourcePort = Port(e, "src_port");
        r.DestinationPort = Port(e, "dest_port");
        r.Uid = e.TryGetProperty("flow_id", out var id) && id.ValueKind == JsonValueKind.Number ? _strings.Get(Raw(id)) : "";
        bool hasTs = Time(e, "timestamp", out double ts);
        r.Timestamp = ts;
        var proto = Protocol.Other;
        if (e.TryGetProperty("proto", out var p))
        {
            if (p.ValueKind == JsonValueKind.String) proto = ProtocolNames.Parse(p.GetString());
            else if (p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out int pn) && Enum.IsDefined((Protocol)pn)) proto = (Protocol)pn;
        }

        switch (r)
        {
            case FlowRecord f:
                if (!e.TryGetProperty("flow", out var fl) || fl.ValueKind != JsonValueKind.Object) { error = "flow event without \"flow\""; return null; }
                if (Time(fl, "start", out double start)) f.Timestamp = start;
                else if (!hasTs) { error = "flow event without flow.start or timestamp"; return null; }
                if (Time(fl, "end", out double end) && end >= f.Timestamp) f.Duration = end - f.Timestamp;
                f.Protocol = proto;
                f.ProtocolNumber = proto is Protocol.Other or Protocol.Arp ? (byte)0 : (byte)proto;
                f.SourcePackets = Long(fl, "pkts_toserver");
                f.DestinationPackets = Long(fl, "pkts_toclient");
                f.SourceBytes = f.SourceIpBytes = Long(fl, "bytes_toserver");
                f.DestinationBytes = f.DestinationIpBytes = Long(fl, "bytes_toclient");
                string state = Str(fl, "state");
                f.StateText = state;
                f.Established = SlipsFlowState.IsEstablished(Encoding.ASCII.GetBytes(state), f.TotalPackets);
                string app = Str(e, "app_proto");
                f.Service = app == "failed" ? "" : app;
                if (e.TryGetProperty("community_id", out var cid) && cid.ValueKind == JsonValueKind.String) f.CommunityId = cid.GetString()!;
                return f;

            case DnsRecord d:
                if (!hasTs) { error = "dns event without timestamp"; return null; }
                d.Protocol = proto == Protocol.Other ? Protocol.Udp : proto;
                if (!e.TryGetProperty("dns", out var dns) || dns.ValueKind != JsonValueKind.Object) { error = "dns event without \"dns\""; return null; }
                FillDns(d, dns);
                return d;

            case HttpRecord h:
                if (!hasTs) { error = "http event without timestamp"; return null; }
                if (e.TryGetProperty("http", out var http) && http.ValueKind == JsonValueKind.Object)
                {
                    h.Method = Str(http, "http_method");
                    h.Host = Str(http, "hostname");
                    h.Uri = Str(http, "url");
                    h.UserAgent = Str(http, "http_user_agent");
                    h.StatusCode = (int)Math.Min(int.MaxValue, Long(http, "status"));
                    h.RequestBodyLength = Long(http, "request_body_len");
                    h.ResponseBodyLength = Long(http, "length");
                    h.ResponseMimeType = Str(http, "http_content_type");
                }

                return h;

            case TlsRecord t:
                if (!hasTs) { error = "tls event without timestamp"; return null; }
                if (e.TryGetProperty("tls", out var tls) && tls.ValueKind == JsonValueKind.Object)
                {
                    t.Version = Str(tls, "version");
                    t.ServerName = Str(tls, "sni");
                    t.Subject = Str(tls, "subject");
                    t.Issuer = Str(tls, "issuerdn");
                    t.Ja3 = tls.TryGetProperty("ja3", out var j3) && j3.ValueKind == JsonValueKind.Object ? Str(j3, "hash") : "";
                    t.Ja3s = tls.TryGetProperty("ja3s", out var j3s) && j3s.ValueKind == JsonValueKind.Object ? Str(j3s, "hash") : "";

                    // Suricata logs a tls event once the handshake was seen, which Zeek would call established.
                    t.Established = true;
                }

                return t;

            case SshRecord s:
                if (!hasTs) { error = "ssh event without timestamp"; return null; }
                if (e.TryGetProperty("ssh", out var ssh) && ssh.ValueKind == JsonValueKind.Object)
                {
                    if (ssh.TryGetProperty("client", out var c) && c.ValueKind == JsonValueKind.Object) s.Client = Str(c, "software_version");
                    if (ssh.TryGetProperty("server", out var sv) && sv.ValueKind == JsonValueKind.Object) s.Server = Str(sv, "software_version");
                }

                return s;
        }

        return null;
    }

    private void FillDns(DnsRecord d, JsonElement dns)
    {
        d.TransactionId = (ushort)Math.Clamp(Long(dns, "id"), 0, ushort.MaxValue);
        d.Query = Str(dns, "rrname");
        d.QueryTypeName = Str(dns, "rrtype");

        // eve v3 (Suricata 8): the question is in "queries".
        if (d.Query.Length == 0 && dns.TryGetProperty("queries", out var qs) && qs.ValueKind == JsonValueKind.Array && qs.GetArrayLength() > 0)
        {
            var q = qs[0];
            if (q.ValueKind == JsonValueKind.Object)
            {
                d.Query = Str(q, "rrname");
                d.QueryTypeName = Str(q, "rrtype");
            }
        }

        d.QueryType = QueryTypeNumber(d.QueryTypeName);
        string rcode = Str(dns, "rcode");
        if (rcode.Length > 0)
        {
            d.ResponseCodeName = rcode;
            d.ResponseCode = ResponseCodeNumber(rcode);
        }

        var answers = new List<string>();
        var ttls = new List<double>();
        if (dns.TryGetProperty("answers", out var ans) && ans.ValueKind == JsonValueKind.Array)
        {
            // eve v2/v3: the answer records in an array.
            foreach (var a in ans.EnumerateArray())
            {
                if (answers.Count == MaxAnswers) break;
                if (a.ValueKind != JsonValueKind.Object) continue;
                string rdata = Str(a, "rdata");
                if (rdata.Length == 0) continue;
                answers.Add(rdata);
                ttls.Add(Long(a, "ttl"));
            }
        }
        else if (Str(dns, "type") == "answer" && dns.TryGetProperty("rdata", out var rd) && rd.ValueKind == JsonValueKind.String)
        {
            // eve v1: one event per answer record.
            answers.Add(rd.GetString()!);
            ttls.Add(Long(dns, "ttl"));
        }

        d.Answers = answers.ToArray();
        d.Ttls = ttls.ToArray();
    }

    private static ushort QueryTypeNumber(string name) => name switch
    {
        "A" => 1,
        "NS" => 2,
        "CNAME" => 5,
        "SOA" => 6,
        "PTR" => 12,
        "MX" => 15,
        "TXT" => 16,
        "AAAA" => 28,
        "SRV" => 33,
        "HTTPS" => 65,
        "ANY" => 255,
        _ => 0,
    };

    private static int ResponseCodeNumber(string name) => name switch
    {
        "NOERROR" => 0,
        "FORMERR" => 1,
        "SERVFAIL" => 2,
        "NXDOMAIN" => 3,
        "NOTIMP" => 4,
        "REFUSED" => 5,
        _ => -1,
    };

    private static bool Ip(JsonElement e, string name, out IpAddr ip, ref string? error)
    {
        ip = default;
        if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && IpAddr.TryParse(v.GetString(), out ip)) return true;
        error = $"missing or bad {name}";
        return false;
    }

    private static ushort Port(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt16(out ushort p) ? p : (ushort)0;

    private static long Long(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number) return 0;
        if (v.TryGetInt64(out long l)) return Math.Max(0, l);
        return v.TryGetDouble(out double d) && d > 0 && d < 9e18 ? (long)d : 0;
    }

    private string Str(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return "";
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number => _strings.Get(Raw(v)),
            _ => "",
        };
    }

    private static bool Time(JsonElement e, string name, out double ts)
    {
        ts = 0;
        if (!e.TryGetProperty(name, out var v)) return false;
        if (v.ValueKind == JsonValueKind.Number) return v.TryGetDouble(out ts);
        if (v.ValueKind != JsonValueKind.String) return false;
        Span<byte> buf = stackalloc byte[64];
        string s = v.GetString()!;
        if (s.Length > buf.Length) return false;
        int n = Encoding.ASCII.GetBytes(s, buf);
        return FieldText.TryParseTime(buf[..n], out ts);
    }

    private static ReadOnlySpan<byte> Raw(JsonElement v) => Encoding.ASCII.GetBytes(v.GetRawText());

    private static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message;
    }

    private static FileStream OpenFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot be opened: {e.Message}", e);
        }
    }

    public void Dispose() => _stream?.Dispose();
}

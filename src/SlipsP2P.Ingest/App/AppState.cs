using System.Buffers;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;

namespace SlipsP2P.Ingest.App;

/// <summary>
/// The application-layer state of one flow: created only for flows whose first payload looks like DNS, HTTP, TLS
/// or SSH, fed the first payload packets of each direction, and turned into Zeek-style records. Everything kept is
/// bounded: pending DNS queries, HTTP transactions, and the TLS hello reassembly buffer.
/// </summary>
internal sealed class AppState
{
    /// <summary>Largest TLS hello reassembled from several segments.</summary>
    public const int MaxTlsBuffer = 16 * 1024;
    public const int MaxPendingDns = 64;
    public const int MaxHttpTransactions = 16;

    private PackedUid _uid;
    private List<DnsRecord>? _pendingDns;
    private List<HttpRecord>? _http;
    private int _httpAnswered;
    private TlsDirection _tlsClient;
    private TlsDirection _tlsServer;
    private TlsHello? _clientHello;
    private TlsHello? _serverHello;
    private double _tlsTime;
    private string? _sshClient;
    private string? _sshServer;
    private TelnetLogin? _telnet;

    public AppState(AppKind kind) => Kind = kind;

    public AppKind Kind { get; private set; }

    /// <summary>Whether DNS records get their answers' TTLs (<see cref="FlowTable.KeepDnsTtls"/>).</summary>
    public bool KeepTtls { get; init; } = true;

    /// <summary>
    /// Makes a finished flow's state ready for another flow of <paramref name="kind"/> (the flow table keeps its
    /// states and reuses them: one object per application flow was a tenth of a capture's allocation).
    /// </summary>
    public void Reset(AppKind kind)
    {
        Kind = kind;
        _uid = default;
        _pendingDns?.Clear();
        _http?.Clear();
        _httpAnswered = 0;
        _tlsClient.Release();
        _tlsServer.Release();
        _tlsClient = default;
        _tlsServer = default;
        _clientHello = null;
        _serverHello = null;
        _tlsTime = 0;
        _sshClient = null;
        _sshServer = null;
        _telnet = null;
    }

    /// <summary>Zeek's service name.</summary>
    public string Service => Kind switch
    {
        AppKind.Dns => "dns",
        AppKind.Http => "http",
        AppKind.Tls => "ssl",
        AppKind.Ssh => "ssh",
        AppKind.Telnet => "telnet",
        _ => "",
    };

    /// <summary>Recognises a protocol from a flow's ports and a payload.</summary>
    public static AppKind Classify(byte protocol, ushort origPort, ushort respPort, ReadOnlySpan<byte> payload, bool fromOrig)
    {
        if (protocol == 17)
        {
            return origPort is 53 or 5353 || respPort is 53 or 5353 ? AppKind.Dns : AppKind.None;
        }

        if (protocol != 6 || payload.IsEmpty) return AppKind.None;
        if (SshBanner.Looks(payload)) return AppKind.Ssh;
        if (TelnetLogin.IsTelnetPort(protocol, respPort)) return AppKind.Telnet;
        if (payload.Length >= 6 && payload[0] == 22 && payload[1] == 3 && payload[5] is 1 or 2) return AppKind.Tls;
        if (fromOrig ? HttpMessage.LooksLikeRequest(payload) : HttpMessage.LooksLikeResponse(payload)) return AppKind.Http;
        return AppKind.None;
    }

    /// <summary>
    /// The flow's uid, made at most once per flow and packed (the flow record and the application records take the
    /// same value; none makes its text unless it is read, issue 5).
    /// </summary>
    public PackedUid Uid(in FlowIdentity id)
    {
        if (_uid.IsEmpty) _uid = FlowUid.Create(id.UidSeed, id.Counter);
        return _uid;
    }

    /// <summary>Prefetches the objects <see cref="OnFinish"/> reads next (the state itself should be in cache).</summary>
    public void PrefetchParts()
    {
        CacheHint.Prefetch(_pendingDns, 1);
        CacheHint.Prefetch(_http, 1);
        CacheHint.Prefetch(_clientHello, 1);
    }

    /// <summary>Takes one payload packet; returns how many records it emitted.</summary>
    public int OnPayload(in FlowIdentity id, bool fromOrig, ReadOnlySpan<byte> payload, double timestamp, IEventSink sink)
    {
        switch (Kind)
        {
            case AppKind.Dns:
                return OnDns(in id, payload, timestamp, sink);
            case AppKind.Http:
                OnHttp(fromOrig, payload, timestamp);
                return 0;
            case AppKind.Tls:
                OnTls(fromOrig, payload, timestamp);
                return 0;
            case AppKind.Ssh:
                if (fromOrig) _sshClient ??= SshBanner.TryRead(payload);
                else _sshServer ??= SshBanner.TryRead(payload);
                return 0;
            case AppKind.Telnet:
                _telnet ??= new TelnetLogin();
                return _telnet.OnPayload(in id, Uid(in id), fromOrig, payload, timestamp, sink);
            default:
                return 0;
        }
    }

    /// <summary>The flow has finished: emits what is still pending, returns the count.</summary>
    public int OnFinish(in FlowIdentity id, FlowRecord flow, long sshSuccessBytes, IEventSink sink)
    {
        int emitted = 0;
        PackedUid uid = Uid(in id);
        if (_pendingDns is not null)
        {
            foreach (DnsRecord r in _pendingDns)
            {
                r.SetUid(uid);
                sink.OnEvent(r);
                emitted++;
            }

            _pendingDns.Clear(); // the list is kept for the next flow this state serves
        }

        if (_http is not null)
        {
            foreach (HttpRecord r in _http)
            {
                sink.OnEvent(id.Stamp(r, uid, r.Timestamp));
                emitted++;
            }

            _http.Clear();
        }

        if (_clientHello is not null || _serverHello is not null)
        {
            var tls = id.Stamp(new TlsRecord(), uid, _tlsTime);
            tls.Version = (_serverHello ?? _clientHello)!.VersionName;
            tls.ServerName = _clientHello?.ServerName ?? "";
            tls.Ja3 = _clientHello?.Fingerprint ?? "";
            tls.Ja3s = _serverHello?.Fingerprint ?? "";
            tls.Established = _serverHello is not null && flow.SourceBytes > 0 && flow.DestinationBytes > 0;
            sink.OnEvent(tls);
            emitted++;
        }

        _tlsClient.Release();
        _tlsServer.Release();
        if (_telnet is not null) emitted += _telnet.OnFinish(in id, uid, sink);

        if (_sshClient is not null || _sshServer is not null)
        {
            // Only sizes are known from packets: Slips' heuristic calls a session with more than
            // ssh_succesful_detection_threshold bytes (4290) a successful login, and anything less one failed attempt.
            long total = flow.SourceBytes + flow.DestinationBytes;
            bool success = total > sshSuccessBytes;
            var ssh = id.Stamp(new SshRecord(), uid, id.Start);
            ssh.Client = _sshClient ?? "";
            ssh.Server = _sshServer ?? "";
            ssh.TotalBytes = total;
            ssh.AuthSuccess = success;
            ssh.AuthAttempts = 1;
            sink.OnEvent(ssh);
            emitted++;
        }

        return emitted;
    }

    private int OnDns(in FlowIdentity id, ReadOnlySpan<byte> payload, double timestamp, IEventSink sink)
    {
        // The message is read without allocating; the query name becomes a string only when no pending query of
        // the same id already holds it (a response repeats its query's name), and then a shared one.
        Span<char> name = stackalloc char[DnsMessage.MaxNameLength + 1];
        if (DnsMessage.TryReadHeader(payload, name, out DnsMessage.Header m, out int nameLength, out int offset) != OperationStatus.Done) return 0;
        IReadOnlyList<string>? answers = null;
        double[]? ttls = null;
        Span<char> scratch = m.AnswerCount > 0 ? stackalloc char[DnsMessage.MaxNameLength + 1] : default;
        if (DnsMessage.TryReadAnswers(payload, ref offset, m.AnswerCount, scratch, out answers, out ttls, KeepTtls) != OperationStatus.Done) return 0;
        ReadOnlySpan<char> query = m.HasQuestion ? name[..nameLength] : default;
        PackedUid uid = Uid(in id);
        int emitted = 0;
        _pendingDns ??= new();
        int index = -1;
        for (int i = 0; i < _pendingDns.Count; i++)
        {
            if (_pendingDns[i].TransactionId == m.Id)
            {
                index = i;
                break;
            }
        }

        if (!m.IsResponse)
        {
            if (index >= 0 || _pendingDns.Count >= MaxPendingDns)
            {
                // A repeated id (or too many open queries): the older query goes out unanswered.
                int drop = index >= 0 ? index : 0;
                sink.OnEvent(_pendingDns[drop]);
                _pendingDns.RemoveAt(drop);
                emitted++;
            }

            var q = id.Stamp(new DnsRecord(), uid, timestamp);
            q.Protocol = id.Protocol == 6 ? Protocol.Tcp : Protocol.Udp;
            q.TransactionId = m.Id;
            q.Query = SharedText.Get(query);
            q.QueryType = m.QueryType;
            q.QueryTypeName = query.Length > 0 || m.QueryType != 0 ? DnsMessage.TypeName(m.QueryType) : "";
            _pendingDns.Add(q);
            return emitted;
        }

        DnsRecord r;
        if (index >= 0)
        {
            r = _pendingDns[index];
            _pendingDns.RemoveAt(index);
        }
        else
        {
            r = id.Stamp(new DnsRecord(), uid, timestamp);
            r.Protocol = id.Protocol == 6 ? Protocol.Tcp : Protocol.Udp;
            r.TransactionId = m.Id;
            r.Query = SharedText.Get(query);
            r.QueryType = m.QueryType;
            r.QueryTypeName = DnsMessage.TypeName(m.QueryType);
        }

        r.ResponseCode = m.ResponseCode;
        r.ResponseCodeName = DnsMessage.ResponseCodeName(m.ResponseCode);
        r.Answers = answers ?? Array.Empty<string>();
        r.Ttls = (IReadOnlyList<double>?)ttls ?? Array.Empty<double>();
        sink.OnEvent(r);
        return emitted + 1;
    }

    private void OnHttp(bool fromOrig, ReadOnlySpan<byte> payload, double timestamp)
    {
        if (fromOrig)
        {
            if (!HttpMessage.LooksLikeRequest(payload)) return;
            HttpMessage? m = HttpMessage.TryParse(payload);
            if (m is null || !m.IsRequest) return;
            _http ??= new();
            if (_http.Count >= MaxHttpTransactions) return;
            _http.Add(new HttpRecord
            {
                Timestamp = timestamp,
                Method = m.Method,
                Uri = m.Uri,
                Host = m.Host,
                UserAgent = m.UserAgent,
                RequestBodyLength = m.ContentLength,
            });
            return;
        }

        if (!HttpMessage.LooksLikeResponse(payload)) return;
        HttpMessage? resp = HttpMessage.TryParse(payload);
        if (resp is null || resp.IsRequest) return;
        _http ??= new();
        if (_httpAnswered >= _http.Count)
        {
            if (_http.Count >= MaxHttpTransactions) return;
            _http.Add(new HttpRecord { Timestamp = timestamp }); // a response whose request was not seen
        }

        HttpRecord r = _http[_httpAnswered++];
        r.StatusCode = resp.StatusCode;
        r.ResponseBodyLength = resp.ContentLength;
        r.ResponseMimeType = resp.ContentType;
    }

    private void OnTls(bool fromOrig, ReadOnlySpan<byte> payload, double timestamp)
    {
        ref TlsDirection d = ref fromOrig ? ref _tlsClient : ref _tlsServer;
        if (d.Done) return;
        if (_clientHello is null && _serverHello is null) _tlsTime = timestamp;
        ReadOnlySpan<byte> data = d.Append(payload);
        OperationStatus s = TlsHello.TryRead(data, out TlsHello? hello, out _);
        if (s == OperationStatus.NeedMoreData && d.Length < MaxTlsBuffer) return;
        d.Done = true;
        d.Release();
        if (s != OperationStatus.Done || hello is null) return;
        if (hello.IsClientHello) _clientHello ??= hello;
        else _serverHello ??= hello;
    }

    /// <summary>Collects one direction's first bytes until its hello is complete; pooled, at most <see cref="MaxTlsBuffer"/>.</summary>
    private struct TlsDirection
    {
        private byte[]? _buffer;
        public int Length;
        public bool Done;

        public ReadOnlySpan<byte> Append(ReadOnlySpan<byte> payload)
        {
            _buffer ??= ArrayPool<byte>.Shared.Rent(MaxTlsBuffer);

            int n = Math.Min(payload.Length, MaxTlsBuffer - Length);
            payload[..n].CopyTo(_buffer.AsSpan(Length));
            Length += n;
            return _buffer.AsSpan(0, Length);
        }

        public void Release()
        {
            if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}

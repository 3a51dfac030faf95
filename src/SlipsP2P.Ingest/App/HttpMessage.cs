namespace SlipsP2P.Ingest.App;

/// <summary>
/// The start of an HTTP/1.x message (RFC 9112): request line or status line plus the headers that fit in the
/// bytes seen. Only the first <see cref="MaxHeaderBytes"/> are looked at.
/// <code>
/// request:  METHOD SP request-target SP HTTP/1.x CRLF *(field-name ":" OWS field-value CRLF) CRLF
/// response: HTTP/1.x SP 3DIGIT SP reason CRLF *(...) CRLF
/// </code>
/// </summary>
public sealed class HttpMessage
{
    /// <summary>Bytes of a message start that are parsed.</summary>
    public const int MaxHeaderBytes = 8192;
    /// <summary>Longest field value kept (a URI or a user agent).</summary>
    public const int MaxValueLength = 2048;

    private static readonly string[] s_methods =
    [
        "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
    ];

    public bool IsRequest { get; private init; }
    public string Method { get; private init; } = "";
    public string Uri { get; private init; } = "";
    public string Host { get; private init; } = "";
    public string UserAgent { get; private init; } = "";
    public int StatusCode { get; private init; }
    public long ContentLength { get; private init; }
    public string ContentType { get; private init; } = "";

    /// <summary>True when <paramref name="data"/> begins like an HTTP request (a known method and a space).</summary>
    public static bool LooksLikeRequest(ReadOnlySpan<byte> data)
    {
        foreach (string m in s_methods)
        {
            if (data.Length > m.Length && data[m.Length] == (byte)' ' && StartsWith(data, m)) return true;
        }

        return false;
    }

    /// <summary>True when <paramref name="data"/> begins like an HTTP/1.x response.</summary>
    public static bool LooksLikeResponse(ReadOnlySpan<byte> data) => data.Length >= 12 && StartsWith(data, "HTTP/1.");

    /// <summary>Parses a request or response start; null when the first line is not HTTP/1.x.</summary>
    public static HttpMessage? TryParse(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxHeaderBytes) data = data[..MaxHeaderBytes];
        int lineEnd = data.IndexOf((byte)'\n');
        if (lineEnd < 0) lineEnd = data.Length;
        ReadOnlySpan<byte> line = TrimCr(data[..lineEnd]);
        ReadOnlySpan<byte> rest = lineEnd < data.Length ? data[(lineEnd + 1)..] : default;

        if (LooksLikeResponse(line))
        {
            int sp = line.IndexOf((byte)' ');
            if (sp < 0 || line.Length < sp + 4) return null;
            ReadOnlySpan<byte> code = line.Slice(sp + 1, 3);
            if (!IsDigits(code)) return null;
            int status = ((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0');
            Headers(rest, out _, out _, out long length, out string type);
            return new HttpMessage { IsRequest = false, StatusCode = status, ContentLength = length, ContentType = type };
        }

        if (!LooksLikeRequest(line)) return null;
        int s1 = line.IndexOf((byte)' ');
        int s2 = line.LastIndexOf((byte)' ');
        if (s2 <= s1 || !StartsWith(line[(s2 + 1)..], "HTTP/")) return null;
        string method = Text(line[..s1]);
        string uri = Text(line[(s1 + 1)..s2], share: false);
        Headers(rest, out string host, out string agent, out long contentLength, out _);
        return new HttpMessage { IsRequest = true, Method = method, Uri = uri, Host = host, UserAgent = agent, ContentLength = contentLength };
    }

    private static void Headers(ReadOnlySpan<byte> rest, out string host, out string agent, out long contentLength, out string contentType)
    {
        host = agent = contentType = "";
        contentLength = 0;
        while (rest.Length > 0)
        {
            int end = rest.IndexOf((byte)'\n');
            bool complete = end >= 0;
            ReadOnlySpan<byte> line = TrimCr(complete ? rest[..end] : rest);
            rest = complete ? rest[(end + 1)..] : default;
            if (line.Length == 0) break; // end of headers
            if (!complete) break;        // a header cut by the packet boundary is not trusted
            int colon = line.IndexOf((byte)':');
            if (colon <= 0) continue;
            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            if (EqualsIgnoreCase(name, "host")) host = Text(value);
            else if (EqualsIgnoreCase(name, "user-agent")) agent = Text(value);
            else if (EqualsIgnoreCase(name, "content-type")) contentType = Text(value);
            else if (EqualsIgnoreCase(name, "content-length") && IsDigits(value) && value.Length <= 15)
            {
                long n = 0;
                foreach (byte c in value) n = (n * 10) + (c - '0');
                contentLength = n;
            }
        }
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> s) => s.Length > 0 && s[^1] == '\r' ? s[..^1] : s;

    private static bool IsDigits(ReadOnlySpan<byte> s)
    {
        if (s.Length == 0) return false;
        foreach (byte c in s)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
        }

        return true;
    }

    private static bool StartsWith(ReadOnlySpan<byte> data, string prefix)
    {
        if (data.Length < prefix.Length) return false;
        for (int i = 0; i < prefix.Length; i++)
        {
            if (data[i] != prefix[i]) return false;
        }

        return true;
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> data, string lower)
    {
        if (data.Length != lower.Length) return false;
        for (int i = 0; i < lower.Length; i++)
        {
            int c = data[i];
            if (c is >= 'A' and <= 'Z') c += 32;
            if (c != lower[i]) return false;
        }

        return true;
    }

    /// <summary>Printable ASCII text of a field (others become '?'), at most <see cref="MaxValueLength"/> characters.</summary>
    internal static string Text(ReadOnlySpan<byte> s, bool share = true) => SharedText.Printable(s, 0x20, MaxValueLength, share);
}

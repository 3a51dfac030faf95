using SlipsP2P.Core;
using SlipsP2P.Ingest.App;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using static SlipsP2P.Ingest.Tests.PacketBuilder;

namespace SlipsP2P.Ingest.Tests;

public sealed class HttpMessageTests
{
    private static readonly byte[] s_request = "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"u8.ToArray();
    private static readonly byte[] s_response = "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 1234\r\n\r\n<html>"u8.ToArray();

    [Fact]
    public void TryParse_Request_ReadsLineAndHeaders()
    {
        HttpMessage? m = HttpMessage.TryParse(s_request);
        Assert.NotNull(m);
        Assert.True(m.IsRequest);
        Assert.Equal(("GET", "/index.html?q=1", "example.com", "curl/8.5.0"), (m.Method, m.Uri, m.Host, m.UserAgent));
    }

    [Fact]
    public void TryParse_Response_ReadsStatusAndBodyHeaders()
    {
        HttpMessage? m = HttpMessage.TryParse(s_response);
        Assert.NotNull(m);
        Assert.False(m.IsRequest);
        Assert.Equal((404, 1234L, "text/html"), (m.StatusCode, m.ContentLength, m.ContentType));
    }

    [Fact]
    public void TryParse_Garbage_Null()
    {
        Assert.Null(HttpMessage.TryParse("\x16\x03\x01 hello"u8));
        Assert.Null(HttpMessage.TryParse("GETX / HTTP/1.1\r\n"u8));
    }

    [Fact]
    public void TryParse_TruncatedAtEveryLength_NeverThrows()
    {
        for (int n = 0; n < s_request.Length; n++) HttpMessage.TryParse(s_request.AsSpan(0, n));
        for (int n = 0; n < s_response.Length; n++) HttpMessage.TryParse(s_response.AsSpan(0, n));
    }

    [Fact]
    public void FlowTable_RequestAndResponse_HttpRecordWithFlowUid()
    {
        var sink = new PcapCollectingSink();
        var table = new FlowTable(new AnalysisOptions(), sink);
        void Feed(double ts, byte[] ip)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, ip, ref p);
            table.Process(ref p, ts, 1);
        }

        Feed(1, Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 8080, 100, 0, 0x02)));
        Feed(1.1, Ipv4("10.0.0.2", "10.0.0.1", 6, Tcp(8080, 40000, 500, 101, 0x12)));
        Feed(1.2, Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 8080, 101, 501, 0x18, s_request)));
        Feed(1.3, Ipv4("10.0.0.2", "10.0.0.1", 6, Tcp(8080, 40000, 501, 200, 0x18, s_response)));
        table.Flush();

        HttpRecord h = Assert.Single(sink.Events.OfType<HttpRecord>());
        FlowRecord f = Assert.Single(sink.Flows);
        Assert.Equal(("GET", "example.com", 404), (h.Method, h.Host, h.StatusCode));
        Assert.Equal(f.Uid, h.Uid);
        Assert.Equal(1.2, h.Timestamp);
        Assert.Equal(8080, h.DestinationPort);
        Assert.Equal("http", f.Service);
    }
}

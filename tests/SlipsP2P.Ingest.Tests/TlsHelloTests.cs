using System.Buffers;
using SlipsP2P.Core;
using SlipsP2P.Ingest.App;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using static SlipsP2P.Ingest.Tests.PacketBuilder;

namespace SlipsP2P.Ingest.Tests;

public sealed class TlsHelloTests
{
    // md5 of the JA3 / JA3S strings below, computed independently (Python hashlib).
    private const string Ja3Md5 = "cefebb3c24208325c13a9ad9b14b83c9";
    private const string Ja3sMd5 = "f4febc55ea12b31ae17cfb7e614afda8";

    private static byte[] U16(int v) => [(byte)(v >> 8), (byte)v];

    private static byte[] Ext(int type, byte[] data) => Concat(U16(type), U16(data.Length), data);

    private static byte[] Record(byte handshakeType, byte[] body) =>
        Concat([22, 3, 1], U16(body.Length + 4), [handshakeType, 0, (byte)(body.Length >> 8), (byte)body.Length], body);

    /// <summary>A ClientHello with GREASE in ciphers, extensions, groups and versions, and SNI "example.com".</summary>
    internal static byte[] ClientHello()
    {
        byte[] host = "example.com"u8.ToArray();
        byte[] sni = Concat(U16(host.Length + 3), [0], U16(host.Length), host);
        byte[] extensions = Concat(
            Ext(0x0A0A, []),
            Ext(0, sni),
            Ext(10, Concat(U16(6), U16(0x2A2A), U16(29), U16(23))),
            Ext(11, [1, 0]),
            Ext(43, Concat([4], U16(0x3A3A), U16(0x0304))));
        byte[] body = Concat(U16(0x0303), new byte[32], [0], U16(6), U16(0x0A0A), U16(0x1301), U16(0xC02F), [1, 0], U16(extensions.Length), extensions);
        return Record(1, body);
    }

    internal static byte[] ServerHello()
    {
        byte[] extensions = Concat(Ext(43, U16(0x0304)), Ext(51, new byte[36]));
        byte[] body = Concat(U16(0x0303), new byte[32], [0], U16(0x1301), [0], U16(extensions.Length), extensions);
        return Record(2, body);
    }

    [Fact]
    public void TryRead_ClientHello_SniAndJa3WithoutGrease()
    {
        Assert.Equal(OperationStatus.Done, TlsHello.TryRead(ClientHello(), out var hello, out _));
        Assert.NotNull(hello);
        Assert.True(hello.IsClientHello);
        Assert.Equal("example.com", hello.ServerName);
        // JA3: version, ciphers, extensions, groups, point formats; GREASE dropped everywhere.
        Assert.Equal("771,4865-49199,0-10-11-43,29-23,0", hello.FingerprintText);
        Assert.Equal(Ja3Md5, hello.Fingerprint);
        Assert.Equal("TLSv13", hello.VersionName);
    }

    [Fact]
    public void Fingerprint_RepeatedAndManyDistinctHellos_EachTheMd5OfItsOwnText()
    {
        Assert.Equal(OperationStatus.Done, TlsHello.TryRead(ClientHello(), out var first, out _));
        Assert.Equal(OperationStatus.Done, TlsHello.TryRead(ClientHello(), out var again, out _));
        Assert.Same(first!.FingerprintText, again!.FingerprintText); // the text is shared
        Assert.Equal(Ja3Md5, first.Fingerprint);
        Assert.Equal(Ja3Md5, again.Fingerprint);

        // Many distinct server hellos: every digest is its own text's.
        for (ushort cipher = 1; cipher <= 3000; cipher++)
        {
            byte[] body = Concat(U16(0x0303), new byte[32], [0], U16(cipher), [0]);
            Assert.Equal(OperationStatus.Done, TlsHello.TryRead(Record(2, body), out var hello, out _));
#pragma warning disable CA5351 // JA3S is defined as an MD5 digest
            string expected = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.ASCII.GetBytes($"771,{cipher},")));
#pragma warning restore CA5351
            Assert.Equal(expected, hello!.Fingerprint);
        }
    }

    [Fact]
    public void TryRead_ServerHello_Ja3s()
    {
        Assert.Equal(OperationStatus.Done, TlsHello.TryRead(ServerHello(), out var hello, out _));
        Assert.NotNull(hello);
        Assert.False(hello.IsClientHello);
        Assert.Equal("771,4865,43-51", hello.FingerprintText);
        Assert.Equal("TLSv13", hello.VersionName);
    }

    [Fact]
    public void TryRead_TruncatedAtEveryLength_NeedsMoreDataNeverThrows()
    {
        byte[] full = ClientHello();
        for (int n = 0; n < full.Length; n++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, TlsHello.TryRead(full.AsSpan(0, n), out var h, out _));
            Assert.Null(h);
        }
    }

    [Fact]
    public void TryRead_NotTls_InvalidData()
    {
        Assert.Equal(OperationStatus.InvalidData, TlsHello.TryRead("GET / HTTP/1.1\r\n"u8, out _, out _));
    }

    [Theory]
    [InlineData(0x0A0A, true)]
    [InlineData(0xFAFA, true)]
    [InlineData(0x0A1A, false)]
    [InlineData(0x1301, false)]
    public void IsGrease_Values_MatchRfc8701(int value, bool expected) => Assert.Equal(expected, TlsHello.IsGrease((ushort)value));

    [Fact]
    public void FlowTable_ClientHelloSplitOverTwoSegments_TlsRecordWithSniJa3AndJa3s()
    {
        var sink = new PcapCollectingSink();
        var table = new FlowTable(new AnalysisOptions(), sink);
        uint cseq = 101;
        void Feed(double ts, string src, string dst, ushort sp, ushort dp, byte flags, uint seq, byte[]? data = null)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, Ipv4(src, dst, 6, Tcp(sp, dp, seq, 1, flags, data)), ref p);
            table.Process(ref p, ts, 1);
        }

        byte[] hello = ClientHello();
        Feed(1, "10.0.0.1", "10.0.0.2", 50000, 443, 0x02, 100);
        Feed(1.1, "10.0.0.2", "10.0.0.1", 443, 50000, 0x12, 900);
        Feed(1.2, "10.0.0.1", "10.0.0.2", 50000, 443, 0x18, cseq, hello[..30]);
        Feed(1.3, "10.0.0.1", "10.0.0.2", 50000, 443, 0x18, cseq + 30, hello[30..]);
        Feed(1.4, "10.0.0.2", "10.0.0.1", 443, 50000, 0x18, 901, ServerHello());
        table.Flush();

        TlsRecord tls = Assert.Single(sink.Events.OfType<TlsRecord>());
        FlowRecord flow = Assert.Single(sink.Flows);
        Assert.Equal("example.com", tls.ServerName);
        Assert.Equal(Ja3Md5, tls.Ja3);
        Assert.Equal(Ja3sMd5, tls.Ja3s);
        Assert.Equal("TLSv13", tls.Version);
        Assert.True(tls.Established);
        Assert.Equal(flow.Uid, tls.Uid);
        Assert.Equal("ssl", flow.Service);
        Assert.Equal(443, tls.DestinationPort);
    }
}

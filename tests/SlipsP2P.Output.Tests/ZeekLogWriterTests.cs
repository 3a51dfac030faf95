using SlipsP2P.Core;
using SlipsP2P.Output.Zeek;

namespace SlipsP2P.Output.Tests;

public sealed class ZeekLogWriterTests
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static string NewDir() => Path.Combine(Path.GetTempPath(), "slipsp2p-zeekw-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Write_ConnLog_ZeekHeadersFooterAndTsvLine()
    {
        string dir = NewDir();
        try
        {
            using (var w = new ZeekLogWriter(dir, new FixedTime(new DateTimeOffset(2024, 3, 1, 12, 30, 5, TimeSpan.Zero))))
            {
                w.Write(new FlowRecord
                {
                    Timestamp = 1709296205.25, Uid = "C1", Source = IpAddr.Parse("10.0.0.1"), SourcePort = 1234, Destination = IpAddr.Parse("10.0.0.2"),
                    DestinationPort = 80, Protocol = Protocol.Tcp, Duration = 1.5, SourceBytes = 10, DestinationBytes = 20, State = ConnState.SF,
                    History = "ShADadFf", SourcePackets = 5, DestinationPackets = 4, SourceIpBytes = 300, DestinationIpBytes = 400,
                    Service = "-", CommunityId = "1:abc", Aid = "2:def",
                });
            }

            string[] lines = File.ReadAllLines(Path.Combine(dir, "conn.log"));

            Assert.Equal("#separator \\x09", lines[0]);
            Assert.Equal("#set_separator\t,", lines[1]);
            Assert.Equal("#empty_field\t(empty)", lines[2]);
            Assert.Equal("#unset_field\t-", lines[3]);
            Assert.Equal("#path\tconn", lines[4]);
            Assert.Equal("#open\t2024-03-01-12-30-05", lines[5]);
            string[] fields = lines[6].Split('\t');
            string[] types = lines[7].Split('\t');
            Assert.Equal("#fields", fields[0]);
            Assert.Equal("#types", types[0]);
            Assert.Equal(fields.Length, types.Length);
            Assert.Equal(["community_id", "aid"], fields[^2..]);
            Assert.Equal(["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"], fields[1..9]);
            string[] row = lines[8].Split('\t');
            Assert.Equal(fields.Length - 1, row.Length);
            Assert.Equal("1709296205.250000", row[0]);
            Assert.Equal("tcp", row[6]);
            Assert.Equal("\\x2d", row[7]);     // a literal "-" must not read as unset
            Assert.Equal("1.500000", row[8]);
            Assert.Equal("SF", row[11]);
            Assert.Equal(["1:abc", "2:def"], row[^2..]);
            Assert.Equal("#close\t2024-03-01-12-30-05", lines[9]);
            Assert.Equal(10, lines.Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Write_DnsLog_SetsAndUnsetValues()
    {
        string dir = NewDir();
        try
        {
            using (var w = new ZeekLogWriter(dir))
            {
                w.Write(new DnsRecord
                {
                    Timestamp = 1, Uid = "D1", Source = IpAddr.Parse("::1"), Destination = IpAddr.Parse("::2"), SourcePort = 5, DestinationPort = 53,
                    Query = "tab\there", QueryType = 16, QueryTypeName = "TXT", ResponseCode = 0, ResponseCodeName = "NOERROR",
                    Answers = ["x,y", "z"], Ttls = [1, 2.5],
                });
                w.Write(new DnsRecord { Timestamp = 2, Uid = "D2", Source = IpAddr.Parse("10.0.0.1"), Destination = IpAddr.Parse("10.0.0.2"), Query = "q" });
            }

            Assert.False(File.Exists(Path.Combine(dir, "conn.log")));
            var lines = File.ReadAllLines(Path.Combine(dir, "dns.log"));
            string[] fields = lines[6].Split('\t')[1..];
            string[] a = lines[8].Split('\t');
            string[] b = lines[9].Split('\t');
            Assert.Equal(fields.Length, a.Length);
            Assert.Equal("tab\\x09here", a[Array.IndexOf(fields, "query")]);
            Assert.Equal("x\\x2cy,z", a[Array.IndexOf(fields, "answers")]);
            Assert.Equal("1.000000,2.500000", a[Array.IndexOf(fields, "TTLs")]);
            Assert.Equal("-", b[Array.IndexOf(fields, "answers")]);
            Assert.Equal("-", b[Array.IndexOf(fields, "rcode")]);
            Assert.StartsWith("#close\t", lines[^1], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

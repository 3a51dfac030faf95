using System.Buffers.Text;
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// The flow-file fast paths (Zeek conn TSV/JSON, Suricata flow events) against the general readers they stand in
/// front of: the same records, field for field, and the same skip messages, on Slips' datasets and on lines made
/// to hit every way out of the fast path. Also the byte-level helpers they rely on, against the runtime's parsers.
/// </summary>
public sealed class FlowFileFastPathTests
{
    public static TheoryData<string> ConnLogs => new()
    {
        "test9-mixed-zeek-dir/conn.log", "test10-mixed-zeek-dir/conn.log", "test13-malicious-dhcpscan-zeek-dir/conn.log",
        "test14-malicious-zeek-dir/conn.log", "test15-malicious-zeek-dir/conn.log",
        "test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled",
        "port-scans/horizontal/conn.log", "port-scans/vertical/conn.log",
    };

    private const string TsvHeader =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
        + "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id\tlabel\n";

    /// <summary>Conn TSV lines that take the fast path and lines that must leave it, each with its reason.</summary>
    private static readonly string[] s_tsvLines =
    [
        "1700000000.008077\tC1\t10.0.1.12\t57445\t22.59.6.20\t80\ttcp\thttp\t0.033062\t89\t2428\tSF\t-\t0\tShADdFf\t6\t329\t4\t2588\t-\t1:abc=\tBenign",
        "1700000000.1\tC2\t2001:db8::1\t1\t2001:db8::2\t2\ticmp\t-\t-\t-\t-\tOTH\tT\t0\t-\t1\t84\t0\t0\t(empty)\t-\t-",
        "1700000001\tC3\t10.0.0.1\t5353\t224.0.0.251\t5353\tUDP\t(empty)\t12.5\t0\t0\tS0\tF\t0\tD\t3\t300\t0\t0\ta,b\t-\tMalicious",
        "1700000002.000001\tC4\t10.0.0.1\t0x0303\t10.0.0.2\t65535\tgre\tdns\t1e-3\t1\t2\tWEIRD\t-\t0\t-\t9\t9\t9\t9\t-\t-\t-",
        "1700000003.5\tC5\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t-1.0\t1\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "1700000004.5\tC6\t10.0.0.1\t65536\t10.0.0.2\t2\ttcp\t-\t1.0\t1\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "bad\tC7\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t1.0\t1\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "1700000005.5\tC8\t10.0.0.300\t1\t10.0.0.2\t2\ttcp\t-\t1.0\t1\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "1700000006.5\tC9\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t1.0\t-5\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "1700000007.5\tC10\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t1.0\t1\t2\tSF\t-\t0",
        "1700000008.5\tC11\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t1.0\t1\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-\textra",
        "1700000009.5\tC\\x41B\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tss\\x6c\t1.0\t1\t2\tRSTR\t-\t0\t-\t3\t1\t1\t1\t-\t-\t-",
        "-\tC12\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t1.0\t1\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "1700000010.5\tC13\t-\t1\t10.0.0.2\t2\ttcp\t-\t1.0\t1\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "(empty)\tC14\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t1.0\t1\t2\tSF\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "1700000011.1234567890123\tC15\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t99999999999999999999.5\t18446744073709551615\t2\tRSTO\t-\t0\t-\t1\t1\t1\t1\t-\t-\t-",
        "2021-06-06T15:59:46.457984Z\tC16\t010.0.0.1\t00080\t::ffff:10.0.0.2\t+2\tTCP\t-\t.5\t1.0\t2.5\tRSTR\t-\t0\t-\t4\t1\t1\t1\t-\t-\t-",
    ];

    /// <summary>Conn JSON lines, in the same spirit.</summary>
    private static readonly string[] s_jsonLines =
    [
        """{"ts":1700000000.008077,"uid":"C1","id.orig_h":"10.0.1.12","id.orig_p":57445,"id.resp_h":"22.59.6.20","id.resp_p":80,"proto":"tcp","service":"http","duration":0.033062,"orig_bytes":89,"resp_bytes":2428,"conn_state":"SF","local_orig":true,"history":"ShADdFf","orig_pkts":6,"orig_ip_bytes":329,"resp_pkts":4,"resp_ip_bytes":2588,"community_id":"1:abc="}""",
        """{"_path":"conn","ts":"2021-06-06T15:59:46.457984Z","uid":"C2","id.orig_h":"2001:db8::1","id.orig_p":1,"id.resp_h":"2001:db8::2","id.resp_p":2,"proto":"icmp","conn_state":"OTH","local_orig":false,"missed_bytes":null,"tunnel_parents":[]}""",
        """{"ts":1700000001,"uid":"C\u0033","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp"}""",
        """{"ts":1700000002,"uid":"C4","id.orig_h":"10.0.0.1","id.orig_p":"1","id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp","service":["dns","x"]}""",
        """{"ts":1700000003,"uid":"C5","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp","history":{"a":1}}""",
        """{"ts":1700000004,"uid":"C6","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp"} x""",
        """{"ts":1700000005,"uid":"C7","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp""",
        """{"ts":1700000006,"uid":"C8","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp"}""",
        """{"ts":1700000007,"uid":"C9","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"duration":-1,"conn_state":"RSTR","orig_pkts":2,"resp_pkts":2}""",
        """{"uid":"C10","ts":1.7e9,"id.resp_h":"10.0.0.2","id.orig_h":"10.0.0.1","label":"Malicious","id.orig_p":1,"id.resp_p":2,"conn_state":"WEIRD_FIN","orig_pkts":5}""",
        """{"ts":1700000008,"u\u0069d":"C11","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2}""",
        """[1,2,3]""",
    ];

    [Theory]
    [MemberData(nameof(ConnLogs))]
    public void ZeekConn_DatasetFastAndGeneralPaths_SameRecordsAndMessages(string relative)
    {
        string path = Requires.Dataset(relative);
        AssertSameZeek(path, ZeekLogKind.Conn);
    }

    [Fact]
    public void ZeekConn_TsvLinesLeavingTheFastPath_SameRecordsAndMessages()
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log", TsvHeader + string.Join('\n', s_tsvLines) + "\n");
        var (fast, stats) = AssertSameZeek(path, ZeekLogKind.Conn);

        // The lines above are good, doubtful or bad on purpose: both kinds must be there for the test to mean anything.
        Assert.InRange(fast.Count, 5, s_tsvLines.Length - 5);
        Assert.True(stats.Skipped >= 5);
    }

    [Fact]
    public void ZeekConn_JsonLinesLeavingTheFastPath_SameRecordsAndMessages()
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log", string.Join('\n', s_jsonLines) + "\n");
        var (fast, stats) = AssertSameZeek(path, ZeekLogKind.Conn);
        Assert.InRange(fast.Count, 5, s_jsonLines.Length - 3);
        Assert.True(stats.Skipped >= 3);

        // Without a file name the kind is guessed per line; the fast path must agree there too.
        string unnamed = tmp.File("flows.json", string.Join('\n', s_jsonLines) + "\n");
        AssertSameZeek(unnamed, ZeekLogKind.Unknown);
    }

    [Fact]
    public void Suricata_Test6FastAndGeneralPaths_SameRecordsAndMessages()
    {
        string path = Requires.Dataset("test6-malicious.suricata.json");
        var (records, _) = AssertSameSuricata(path);
        Assert.True(records.Count > 3000);
    }

    [Fact]
    public void Suricata_FlowLinesLeavingTheFastPath_SameRecordsAndMessages()
    {
        const string Flow = ""","flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":300,"bytes_toclient":200,"start":"2021-06-06T15:59:46.457984+0200","end":"2021-06-06T15:59:47.457984+0200","age":1,"state":"established","reason":"timeout","alerted":false}""";
        string[] lines =
        [
            """{"timestamp":"2021-06-06T15:59:50.000000+0200","flow_id":1234567890123456,"event_type":"flow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"proto":"TCP","app_proto":"http","community_id":"1:x=" """ + Flow + "}",
            """{"event_type":"flow","src_ip":"2001:db8::1","src_port":70000,"dest_ip":"2001:db8::2","dest_port":"2","proto":"IPv6-ICMP","app_proto":"failed" """ + Flow + "}",
            """{"event_type":"flow","src_ip":"010.0.0.1","dest_ip":"10.0.0.2","proto":"UDP" """ + Flow + "}",
            """{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":17 """ + Flow + "}",
            """{"event_type":"fl\u006fw","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"udp" """ + Flow + "}",
            """{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"udp","flow":{"state":7,"start":1622987986.5,"end":1622987980}}""",
            """{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"udp","flow":{"state":"new","end":"2021-06-06T15:59:47Z"},"timestamp":"2021-06-06T15:59:40Z"}""",
            """{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"udp","flow":{"start":"bad","pkts_toserver":1.5e3,"bytes_toserver":-4}}""",
            """{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"udp","flow":{"start":"2021-06-06T15:59:47Z","pkts_toserver":1.5e3,"bytes_toserver":-4,"bytes_toclient":{"x":[1]},"state":"clos\u0065d"}}""",
            """{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","flow":"none"}""",
            """{"event_type":"flow","src_ip":"10.0.0.1","proto":"tcp" """ + Flow + "}",
            """{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"tcp" """ + Flow + "} trailing",
            """{"event_type":"alert","src_ip":"bad","alert":{"signature":"x","metadata":{"a":[1,2,{"b":null}]}}}""",
            """{"event_type":"alert","src_ip":"bad","alert":{"signature":"x" """,
            """{"event_type":"stats","stats":{"uptime":5}}""",
            """{"event_type":5}""",
            """{"src_ip":"10.0.0.1"}""",
            """{"timestamp":"2021-06-06T15:59:46.457984+0200","event_type":"dns","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","dns":{"type":"query","id":1,"rrname":"a.example","rrtype":"A"}}""",
            "\"just a string\"",
        ];
        using var tmp = new TempDir();
        string path = tmp.File("eve.json", string.Join('\n', lines) + "\n");
        var (records, stats) = AssertSameSuricata(path);
        Assert.InRange(records.Count, 5, lines.Length - 5);
        Assert.True(stats.Skipped >= 5);
    }

    [Fact]
    public void TryParseDouble_DecimalTexts_BitForBitTheRuntimeParser()
    {
        var random = new Random(5);
        var texts = new List<string> { "0", "0.0", "1700000000.008077", "9007199254740992", "9007199254740993", "0.000001", "123456789012345678", "1234567890123456789", "4503599627370497.5" };
        for (int i = 0; i < 20_000; i++)
        {
            int intDigits = random.Next(1, 12), fracDigits = random.Next(0, 10);
            var sb = new StringBuilder();
            for (int k = 0; k < intDigits; k++) sb.Append((char)('0' + random.Next(10)));
            if (fracDigits > 0) sb.Append('.');
            for (int k = 0; k < fracDigits; k++) sb.Append((char)('0' + random.Next(10)));
            texts.Add(sb.ToString());
        }

        foreach (string text in texts)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(text);
            Assert.True(FieldText.TryParseDouble(bytes, out double got), text);
            Assert.True(Utf8Parser.TryParse(bytes, out double want, out _));
            Assert.Equal(BitConverter.DoubleToInt64Bits(want), BitConverter.DoubleToInt64Bits(got));
        }

        foreach (string bad in new[] { "", ".", "1.", ".5x", "1..2", "1.2.3", "abc", "1e400", "NaN", "-" })
        {
            bool expected = Utf8Parser.TryParse(Encoding.ASCII.GetBytes(bad), out double v, out int used) && used == bad.Length && double.IsFinite(v);
            Assert.Equal(expected, FieldText.TryParseDouble(Encoding.ASCII.GetBytes(bad), out _));
        }
    }

    [Theory]
    [InlineData("0", true, 0L)]
    [InlineData("123456789012345678", true, 123456789012345678L)]
    [InlineData("9223372036854775807", true, long.MaxValue)]
    [InlineData("9223372036854775808", false, 0L)]
    [InlineData("12.0", true, 12L)]
    [InlineData("-1", false, 0L)]
    [InlineData("", false, 0L)]
    [InlineData("1a", false, 0L)]
    public void TryParseCount_Texts_SameAsBefore(string text, bool ok, long value)
    {
        Assert.Equal(ok, FieldText.TryParseCount(Encoding.ASCII.GetBytes(text), out long got));
        if (ok) Assert.Equal(value, got);
    }

    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("65535", true, 65535)]
    [InlineData("65536", false, 0)]
    [InlineData("99999", false, 0)]
    [InlineData("000080", true, 80)]
    [InlineData("0x0303", true, 0x0303)]
    [InlineData("-1", false, 0)]
    public void TryParsePort_Texts_SameAsBefore(string text, bool ok, int value)
    {
        Assert.Equal(ok, FieldText.TryParsePort(Encoding.ASCII.GetBytes(text), out ushort got));
        Assert.Equal(value, got);
    }

    [Fact]
    public void FindAll_SeparatorsAtEveryPositionAcrossVectorWidths_SameAsAScalarScan()
    {
        var random = new Random(3);
        var positions = new int[200];
        for (int length = 0; length <= 130; length++)
        {
            for (int round = 0; round < 40; round++)
            {
                var line = new byte[length + 2];
                line[0] = line[^1] = (byte)'\t'; // guard bytes outside the slice
                for (int i = 1; i <= length; i++) line[i] = random.Next(4) == 0 ? (byte)'\t' : (byte)('a' + random.Next(26));
                var slice = line.AsSpan(1, length);
                var want = new List<int>();
                for (int i = 0; i < slice.Length; i++)
                {
                    if (slice[i] == (byte)'\t') want.Add(i);
                }

                int n = FieldSplitter.FindAll(slice, (byte)'\t', positions);
                Assert.Equal(want, positions[..n]);

                // Exactly as many slots as separators is one too few (n separators make n + 1 fields).
                if (want.Count > 0)
                {
                    Assert.Equal(-1, FieldSplitter.FindAll(slice, (byte)'\t', new int[want.Count]));
                    Assert.Equal(want.Count, FieldSplitter.FindAll(slice, (byte)'\t', new int[want.Count + 1]));
                }
            }
        }
    }

    [Fact]
    public void TryParseDateTime_RandomCalendarTimes_SameSecondsAsDateTime()
    {
        var random = new Random(9);
        for (int i = 0; i < 20_000; i++)
        {
            var t = new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.NextDouble() * 315_537_897_599.0);
            t = t.AddTicks(-(t.Ticks % TimeSpan.TicksPerSecond));
            int micros = random.Next(1_000_000);
            string zone = (i % 3) switch { 0 => "", 1 => "Z", _ => (random.Next(2) == 0 ? "+" : "-") + random.Next(15).ToString("00", CultureInfo.InvariantCulture) + "30" };
            string text = t.ToString(i % 2 == 0 ? "yyyy'/'MM'/'dd HH':'mm':'ss" : "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture)
                + "." + micros.ToString("000000", CultureInfo.InvariantCulture) + zone;
            Assert.True(FieldText.TryParseDateTime(Encoding.ASCII.GetBytes(text), out double got), text);
            int offsetMinutes = zone.Length == 5 ? (zone[0] == '-' ? -1 : 1) * ((int.Parse(zone[1..3], CultureInfo.InvariantCulture) * 60) + 30) : 0;
            // Whole seconds in integers (exact), then the fraction and the zone as the parser adds them.
            long wholeSeconds = (t.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
            double want = wholeSeconds + Fraction(micros) - (offsetMinutes * 60.0);
            Assert.Equal(BitConverter.DoubleToInt64Bits(want), BitConverter.DoubleToInt64Bits(got));
        }

        Assert.False(FieldText.TryParseDateTime("2021-02-29 00:00:00"u8, out _));
        Assert.True(FieldText.TryParseDateTime("2020-02-29 23:59:60"u8, out double leap));
        Assert.Equal(1583020799.0, leap);
    }

    /// <summary>The fraction as the parser sums it, digit by digit.</summary>
    private static double Fraction(int micros)
    {
        double fraction = 0, scale = 0.1;
        foreach (char c in micros.ToString("000000", CultureInfo.InvariantCulture))
        {
            fraction += (c - '0') * scale;
            scale /= 10;
        }

        return fraction;
    }

    [Fact]
    public void StringCache_RepeatedAndSimilarValues_SameInstanceForTheSameTextAndTheRightTextAlways()
    {
        var cache = new StringCache();
        string[] values =
        [
            "flow=Background-Established-cmpgw-CVUT", "flow=Background-Attempt-cmpgw-CVUT", "flow=From-Botnet-V42-UDP-DNS",
            "SF", "S0", "RSTR", "ShADadFf", "tcp", "", "é-non-ascii", new string('x', 48), new string('x', 49), "1234567", "12345678",
        ];
        for (int round = 0; round < 3; round++)
        {
            foreach (string v in values)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(v);
                string got = cache.Get(bytes);
                Assert.Equal(v, got);
                if (v.Length is > 0 and <= 48 && Ascii.IsValid(v)) Assert.Same(got, cache.Get(bytes));
            }
        }
    }

    private static (List<NetEvent> Records, IngestStats Stats) AssertSameZeek(string path, ZeekLogKind kind)
    {
        using var fastSource = new ZeekLogSource(File.OpenRead(path), path, kind);
        using var generalSource = new ZeekLogSource(File.OpenRead(path), path, kind) { FastPath = false };
        var fast = CollectingSink.RunAll(fastSource).Events;
        var general = CollectingSink.RunAll(generalSource).Events;
        AssertSame(general, fast);
        Assert.Equal(generalSource.Stats.Messages, fastSource.Stats.Messages);
        Assert.Equal(generalSource.Stats.Skipped, fastSource.Stats.Skipped);
        Assert.Equal(generalSource.Stats.Flows, fastSource.Stats.Flows);
        return (fast, fastSource.Stats);
    }

    private static (List<NetEvent> Records, IngestStats Stats) AssertSameSuricata(string path)
    {
        using var fastSource = new SuricataSource(path);
        using var generalSource = new SuricataSource(path) { FastPath = false };
        var fast = CollectingSink.RunAll(fastSource).Events;
        var general = CollectingSink.RunAll(generalSource).Events;
        AssertSame(general, fast);
        Assert.Equal(generalSource.Stats.Messages, fastSource.Stats.Messages);
        Assert.Equal(generalSource.Ignored, fastSource.Ignored);
        Assert.Equal(generalSource.Stats.Flows, fastSource.Stats.Flows);
        return (fast, fastSource.Stats);
    }

    private static void AssertSame(List<NetEvent> expected, List<NetEvent> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(Describe(expected[i]), Describe(actual[i]));
    }

    /// <summary>Every public property of a record as text (doubles bit for bit), to compare records whole.</summary>
    private static string Describe(NetEvent e)
    {
        var sb = new StringBuilder(e.GetType().Name);
        foreach (var p in e.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            object? v = p.GetValue(e);
            string text = v switch
            {
                double d => BitConverter.DoubleToInt64Bits(d).ToString(CultureInfo.InvariantCulture),
                string s => s,
                IEnumerable list => string.Join("|", list.Cast<object>()),
                _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
            };
            sb.Append(' ').Append(p.Name).Append('=').Append(text);
        }

        return sb.ToString();
    }
}

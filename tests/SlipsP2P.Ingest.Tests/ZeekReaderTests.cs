// Expected values are written inline as array literals; each test runs once, so CA1861 buys nothing here.
#pragma warning disable CA1861

using System.Globalization;
using System.Text.Json;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

public sealed class ZeekReaderTests
{
    public static TheoryData<string> LogFiles => new()
    {
        "test9-mixed-zeek-dir/conn.log", "test9-mixed-zeek-dir/dns.log", "test9-mixed-zeek-dir/http.log", "test9-mixed-zeek-dir/ssl.log",
        "test9-mixed-zeek-dir/notice.log", "test9-mixed-zeek-dir/arp.log",
        "test10-mixed-zeek-dir/conn.log", "test10-mixed-zeek-dir/dns.log", "test10-mixed-zeek-dir/ssl.log", "test10-mixed-zeek-dir/notice.log",
        "test13-malicious-dhcpscan-zeek-dir/conn.log",
        "test14-malicious-zeek-dir/conn.log", "test14-malicious-zeek-dir/http.log",
        "test15-malicious-zeek-dir/conn.log", "test15-malicious-zeek-dir/ssl.log",
        "test16-malicious-zeek-dir/arp.log",
        "test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled", "test18-malicious-ctu-sme-11-win/zeek-labeled/dns.log.labeled",
        "test18-malicious-ctu-sme-11-win/zeek-labeled/ssl.log.labeled", "test18-malicious-ctu-sme-11-win/zeek-labeled/notice.log.labeled",
        "port-scans/horizontal/conn.log", "port-scans/vertical/conn.log",
    };

    /// <summary>The raw data lines of a log, each as a field-name to text map (TSV or JSON), read independently of the reader.</summary>
    private static List<Dictionary<string, string>> RawRows(string path, out int malformed)
    {
        var rows = new List<Dictionary<string, string>>();
        string[]? fields = null;
        malformed = 0;
        foreach (string untrimmed in File.ReadLines(path))
        {
            string line = untrimmed.TrimStart(' ', '\t').StartsWith('#') ? untrimmed.TrimStart(' ', '\t') : untrimmed;
            if (line.Length == 0) continue;
            if (line.StartsWith("#fields\t", StringComparison.Ordinal)) { fields = line.Split('\t')[1..]; continue; }
            if (line[0] == '#') continue;
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            if (line[0] == '{')
            {
                using var doc = JsonDocument.Parse(line);
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    row[p.Name] = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString()!,
                        JsonValueKind.True => "T",
                        JsonValueKind.False => "F",
                        JsonValueKind.Array => string.Join(',', p.Value.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())),
                        _ => p.Value.GetRawText(),
                    };
                }
            }
            else
            {
                string[] values = line.Split('\t');
                if (values.Length != fields!.Length)
                {
                    // Hand-edited lines in the datasets (test10 notice.log) that Zeek could not have written.
                    malformed++;
                    continue;
                }

                for (int i = 0; i < values.Length; i++) if (values[i] != "-") row[fields[i]] = values[i] == "(empty)" ? "" : Unescape(values[i]);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Zeek's \xHH escapes stand for bytes; the reader decodes the bytes as UTF-8.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains("\\x", StringComparison.Ordinal)) return s;
        var bytes = new List<byte>();
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(s);
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == '\\' && i + 3 < utf8.Length && utf8[i + 1] == 'x' && Uri.IsHexDigit((char)utf8[i + 2]) && Uri.IsHexDigit((char)utf8[i + 3]))
            {
                bytes.Add(Convert.ToByte(System.Text.Encoding.ASCII.GetString(utf8, i + 2, 2), 16));
                i += 3;
            }
            else
            {
                bytes.Add(utf8[i]);
            }
        }

        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    [Theory]
    [MemberData(nameof(LogFiles))]
    public void Run_DatasetLog_OneRecordPerDataLineMatchingTheRawFields(string relative)
    {
        string path = Requires.Dataset(relative);
        var rows = RawRows(path, out int malformed);
        using var source = new ZeekLogSource(path);

        var events = CollectingSink.RunAll(source).Events;

        Assert.Equal(malformed, source.Stats.Skipped);
        Assert.All(source.Stats.Messages, m => Assert.Contains("fields, found", m, StringComparison.Ordinal));
        Assert.Equal(rows.Count + malformed, source.Stats.Records);
        Assert.Equal(rows.Count, events.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var raw = rows[i];
            var e = events[i];
            Assert.Equal(double.Parse(raw["ts"], CultureInfo.InvariantCulture), e.Timestamp, 6);
            if (raw.TryGetValue("uid", out string? uid)) Assert.Equal(uid, e.Uid);
            if (raw.TryGetValue("id.orig_h", out string? oh)) Assert.Equal(IpAddr.Parse(oh), e.Source);
            if (raw.TryGetValue("id.resp_h", out string? rh)) Assert.Equal(IpAddr.Parse(rh), e.Destination);
            if (raw.TryGetValue("id.orig_p", out string? op)) Assert.Equal(ushort.Parse(op, CultureInfo.InvariantCulture), e.SourcePort);
            if (raw.TryGetValue("id.resp_p", out string? rp)) Assert.Equal(ushort.Parse(rp, CultureInfo.InvariantCulture), e.DestinationPort);
            switch (e)
            {
                case FlowRecord f:
                    Assert.Equal(raw.GetValueOrDefault("conn_state", ""), f.StateText);
                    Assert.Equal(raw.GetValueOrDefault("history", ""), f.History);
                    Assert.Equal(raw.GetValueOrDefault("service", ""), f.Service);
                    Assert.Equal(long.Parse(raw.GetValueOrDefault("orig_bytes", "0"), CultureInfo.InvariantCulture), f.SourceBytes);
                    Assert.Equal(long.Parse(raw.GetValueOrDefault("resp_bytes", "0"), CultureInfo.InvariantCulture), f.DestinationBytes);
                    Assert.Equal(long.Parse(raw.GetValueOrDefault("orig_pkts", "0"), CultureInfo.InvariantCulture), f.SourcePackets);
                    Assert.Equal(long.Parse(raw.GetValueOrDefault("resp_pkts", "0"), CultureInfo.InvariantCulture), f.DestinationPackets);
                    Assert.Equal(long.Parse(raw.GetValueOrDefault("orig_ip_bytes", "0"), CultureInfo.InvariantCulture), f.SourceIpBytes);
                    Assert.Equal(long.Parse(raw.GetValueOrDefault("resp_ip_bytes", "0"), CultureInfo.InvariantCulture), f.DestinationIpBytes);
                    Assert.Equal(double.Parse(raw.GetValueOrDefault("duration", "0"), CultureInfo.InvariantCulture), f.Duration, 9);
                    Assert.Equal(raw.GetValueOrDefault("label", ""), f.Label);
                    Assert.Equal(raw["proto"], f.Protocol == Protocol.Icmp6 ? "icmp" : f.Protocol.ToName());
                    break;
                case DnsRecord d:
                    Assert.Equal(raw.GetValueOrDefault("query", ""), d.Query);
                    Assert.Equal(raw.GetValueOrDefault("qtype_name", ""), d.QueryTypeName);
                    Assert.Equal(raw.GetValueOrDefault("rcode_name", ""), d.ResponseCodeName);
                    Assert.Equal(raw.GetValueOrDefault("answers", ""), string.Join(',', d.Answers));
                    Assert.Equal(d.Answers.Count, d.Ttls.Count);
                    break;
                case HttpRecord h:
                    Assert.Equal(raw.GetValueOrDefault("method", ""), h.Method);
                    Assert.Equal(raw.GetValueOrDefault("host", ""), h.Host);
                    Assert.Equal(raw.GetValueOrDefault("uri", ""), h.Uri);
                    Assert.Equal(raw.GetValueOrDefault("user_agent", ""), h.UserAgent);
                    Assert.Equal(int.Parse(raw.GetValueOrDefault("status_code", "0"), CultureInfo.InvariantCulture), h.StatusCode);
                    break;
                case TlsRecord t:
                    Assert.Equal(raw.GetValueOrDefault("server_name", ""), t.ServerName);
                    Assert.Equal(raw.GetValueOrDefault("subject", ""), t.Subject);
                    Assert.Equal(raw.GetValueOrDefault("validation_status", ""), t.ValidationStatus);
                    Assert.Equal(raw.GetValueOrDefault("established", "F") == "T", t.Established);
                    Assert.Equal(raw.GetValueOrDefault("ja3", ""), t.Ja3);
                    break;
                case NoticeRecord n:
                    Assert.Equal(raw["note"], n.Note);
                    Assert.Equal(raw.GetValueOrDefault("msg", ""), n.Message);
                    break;
                case ArpRecord a:
                    Assert.Equal(raw["operation"] == "request" ? 1 : 2, a.Operation);
                    Assert.Equal(raw["src_mac"], a.SourceMac);
                    Assert.Equal(IpAddr.Parse(raw["orig_h"]), a.Source);
                    break;
                default:
                    Assert.Fail("unexpected record type " + e.GetType().Name);
                    break;
            }
        }
    }

    [Fact]
    public void Run_Test10DnsLog_SpotCheckFirstLineAgainstRawText()
    {
        string path = Requires.Dataset("test10-mixed-zeek-dir/dns.log");
        string firstData = File.ReadLines(path).First(l => !l.StartsWith('#'));
        string[] raw = firstData.Split('\t');
        using var source = new ZeekLogSource(path);

        var d = Assert.IsType<DnsRecord>(CollectingSink.RunAll(source).Events[0]);

        Assert.Equal(raw[9], d.Query);
        Assert.Equal(ushort.Parse(raw[12], CultureInfo.InvariantCulture), d.QueryType);
        Assert.Equal(int.Parse(raw[14], CultureInfo.InvariantCulture), d.ResponseCode);
        Assert.Equal(raw[21].Split(','), d.Answers);
        Assert.Equal(raw[22].Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)), d.Ttls);
        Assert.Equal(ushort.Parse(raw[7], CultureInfo.InvariantCulture), d.TransactionId);
        Assert.Equal(Protocol.Udp, d.Protocol);
    }

    [Fact]
    public void Run_LabelledConnLog_EstablishedFollowsSlipsStates()
    {
        string path = Requires.Dataset("test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled");
        using var source = new ZeekLogSource(path);

        var flows = CollectingSink.RunAll(source).Events.Cast<FlowRecord>().ToList();

        Assert.Contains(flows, f => f.Label == "Malicious");
        foreach (var f in flows)
        {
            bool expected = f.StateText switch
            {
                "S1" or "SF" or "S2" or "S3" or "RSTO" or "OTH" => true,
                "RSTR" => f.TotalPackets > 3,
                _ => false,
            };
            Assert.Equal(expected, f.Established);
        }
    }

    [Theory]
    [InlineData("test9-mixed-zeek-dir")]
    [InlineData("test10-mixed-zeek-dir")]
    [InlineData("test14-malicious-zeek-dir")]
    [InlineData("test15-malicious-zeek-dir")]
    [InlineData("test18-malicious-ctu-sme-11-win/zeek-labeled")]
    public void Run_ZeekDirectory_MergesSupportedLogsKeepingEachLogsOrder(string relative)
    {
        string dir = Requires.Dataset(relative);
        using var source = new ZeekLogSource(dir);
        var perFile = new Dictionary<string, List<NetEvent>>();
        long skippedPerFile = 0;
        foreach (string file in source.Files)
        {
            using var one = new ZeekLogSource(file);
            perFile[file] = CollectingSink.RunAll(one).Events;
            skippedPerFile += one.Stats.Skipped;
        }

        var merged = CollectingSink.RunAll(source).Events;

        Assert.Equal(skippedPerFile, source.Stats.Skipped);
        Assert.Equal(perFile.Values.Sum(l => l.Count), merged.Count);
        Assert.DoesNotContain(source.Files, f => Path.GetFileName(f).StartsWith("files.", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("x509.", StringComparison.Ordinal));

        // Each log's records appear in the merged stream in their file order.
        foreach (var (file, records) in perFile)
        {
            var type = records.Count > 0 ? records[0].GetType() : null;
            var fromMerged = merged.Where(m => m.GetType() == type && records.Count > 0).ToList();
            if (type == typeof(FlowRecord) || type == typeof(DnsRecord))
            {
                Assert.Equal(records.Select(r => (r.Uid, r.Timestamp, r.SourceLine)), fromMerged.Select(r => (r.Uid, r.Timestamp, r.SourceLine)));
            }
        }

        // Where every log is in time order, so is the merge.
        if (perFile.Values.All(l => l.Zip(l.Skip(1)).All(p => p.First.Timestamp <= p.Second.Timestamp)))
        {
            Assert.True(merged.Zip(merged.Skip(1)).All(p => p.First.Timestamp <= p.Second.Timestamp));
        }
    }

    private const string ConnHeader =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\tresp_pkts\n" +
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\tcount\tcount\n";

    [Fact]
    public void Run_GarbledTsvLines_SkippedWithFileAndLineAndTheRestRead()
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log", ConnHeader +
            "1.5\tCa\t10.0.0.1\t1234\t10.0.0.2\t80\ttcp\thttp\t0.5\t10\t20\tSF\tShADadFf\t5\t4\n" +
            "2.5\tCb\t10.0.0.1\t1235\t10.0.0.2\n" +
            "3.5\tCc\tnot-an-ip\t1236\t10.0.0.2\t80\ttcp\t-\t-\t-\t-\tS0\tS\t1\t0\n" +
            "4.5\tCd\t10.0.0.1\t99999\t10.0.0.2\t80\ttcp\t-\t-\t-\t-\tS0\tS\t1\t0\n" +
            "5.5\tCe\tfe80::1\t1237\tff02::1\t53\tudp\tdns\t-\t-\t-\tS0\tD\t1\t0\n");
        using var source = new ZeekLogSource(path);

        var events = CollectingSink.RunAll(source).Events;

        Assert.Equal(new[] { "Ca", "Ce" }, events.Select(e => e.Uid));
        Assert.Equal(3, source.Stats.Skipped);
        Assert.Equal(5, source.Stats.Records);
        Assert.Contains(source.Stats.Messages, m => m.StartsWith(path + ": line 9: expected 15 fields, found 5", StringComparison.Ordinal));
        Assert.Contains(source.Stats.Messages, m => m.StartsWith(path + ": line 10: bad id.orig_h 'not-an-ip'", StringComparison.Ordinal));
        Assert.Contains(source.Stats.Messages, m => m.StartsWith(path + ": line 11: bad id.orig_p '99999'", StringComparison.Ordinal));
        var first = (FlowRecord)events[0];
        Assert.True(first.Established);
        Assert.Equal(ConnState.SF, first.State);
        Assert.Equal(Protocol.Tcp, first.Protocol);
        Assert.Equal((byte)6, first.ProtocolNumber);
        Assert.False(((FlowRecord)events[1]).Established);
    }

    [Fact]
    public void Run_ConnUids_PackedWhenTheyPackAndEveryTextAsWritten()
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log",
            "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n" +
            "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n" +
            "10.0\tCHhAvVGS1DHFjwGM9\t10.0.0.1\t5353\t10.0.0.2\t80\ttcp\n" +
            "11.0\tflow-17\t10.0.0.1\t5354\t10.0.0.2\t80\ttcp\n" +
            "12.0\t-\t10.0.0.1\t5355\t10.0.0.2\t80\ttcp\n");
        using var source = new ZeekLogSource(path);

        var flows = CollectingSink.RunAll(source).Events.Cast<FlowRecord>().ToList();

        Assert.Equal(3, flows.Count);
        Assert.True(flows[0].TryGetPackedUid(out var packed));
        Assert.Equal("CHhAvVGS1DHFjwGM9", packed.ToString());
        Assert.Equal("CHhAvVGS1DHFjwGM9", flows[0].Uid);
        Assert.False(flows[1].TryGetPackedUid(out _));
        Assert.Equal("flow-17", flows[1].Uid);
        Assert.True(flows[2].TryGetPackedUid(out var empty));
        Assert.True(empty.IsEmpty);
        Assert.Equal("", flows[2].Uid);
    }

    [Fact]
    public void Run_TsvEscapesAndEmptySets_Decoded()
    {
        using var tmp = new TempDir();
        string path = tmp.File("dns.log",
            "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n" +
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype\tqtype_name\trcode\trcode_name\tanswers\tTTLs\n" +
            "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tcount\tstring\tcount\tstring\tvector[string]\tvector[interval]\n" +
            "10.0\tC1\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\ta\\x09b\\x5cc.example\t16\tTXT\t0\tNOERROR\tv=spf1\\x2c all,x\t60.000000,61.5\n" +
            "11.0\tC2\t10.0.0.1\t5354\t10.0.0.53\t53\tudp\tnx.example\t1\tA\t3\tNXDOMAIN\t(empty)\t(empty)\n" +
            "12.0\tC3\t10.0.0.1\t5355\t10.0.0.53\t53\tudp\tnoreply.example\t1\tA\t-\t-\t-\t-\n");
        using var source = new ZeekLogSource(path);

        var d = CollectingSink.RunAll(source).Events.Cast<DnsRecord>().ToList();

        Assert.Equal(0, source.Stats.Skipped);
        Assert.Equal("a\tb\\c.example", d[0].Query);
        Assert.Equal(new[] { "v=spf1, all", "x" }, d[0].Answers);
        Assert.Equal(new[] { 60.0, 61.5 }, d[0].Ttls);
        Assert.Empty(d[1].Answers);
        Assert.Equal(3, d[1].ResponseCode);
        Assert.Equal(-1, d[2].ResponseCode);
        Assert.Equal("", d[2].ResponseCodeName);
    }

    [Fact]
    public void Run_JsonWithIsoTimestampsAndTruncatedLine_ReadsGoodLinesAndNamesTheBadOne()
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log",
            "{\"ts\":\"2021-06-06T13:59:46.457984Z\",\"uid\":\"CJ1\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":22,\"proto\":\"tcp\",\"conn_state\":\"RSTR\",\"orig_pkts\":3,\"resp_pkts\":2,\"community_id\":\"1:abc=\"}\n" +
            "{\"ts\":1623000000.5,\"uid\":\"CJ2\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\n" +
            "{\"ts\":1623000001.25,\"uid\":\"CJ3\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":2,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":22,\"proto\":\"tcp\",\"conn_state\":\"RSTR\",\"orig_pkts\":1,\"resp_pkts\":1,\"extra\":{\"a\":[1,2]}}\n");
        using var source = new ZeekLogSource(path);

        var flows = CollectingSink.RunAll(source).Events.Cast<FlowRecord>().ToList();

        Assert.Equal(new[] { "CJ1", "CJ3" }, flows.Select(f => f.Uid));
        Assert.Equal(1622987986.457984, flows[0].Timestamp, 6);
        Assert.Equal("1:abc=", flows[0].CommunityId);
        Assert.True(flows[0].Established);   // RSTR with 5 packets: Slips' "RST" rule
        Assert.False(flows[1].Established);  // RSTR with 2 packets
        Assert.Equal(1, source.Stats.Skipped);
        Assert.StartsWith(path + ": line 2: invalid JSON", source.Stats.Messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Run_HugeLine_SkippedWithoutGrowingPastTheLimit()
    {
        using var tmp = new TempDir();
        string good = "{\"ts\":1.0,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,\"proto\":\"udp\",\"conn_state\":\"S0\"}\n";
        string huge = "{\"ts\":2.0,\"uid\":\"" + new string('x', 3 * LineReader.DefaultMaxLineLength) + "\"}\n";
        string path = tmp.File("conn.log", good + huge + good.Replace("C1", "C2", StringComparison.Ordinal) + new string('y', 2 * LineReader.DefaultMaxLineLength));
        using var source = new ZeekLogSource(path);

        var events = CollectingSink.RunAll(source).Events;

        Assert.Equal(new[] { "C1", "C2" }, events.Select(e => e.Uid));
        Assert.Equal(2, source.Stats.Skipped);
        Assert.Contains(source.Stats.Messages, m => m.StartsWith(path + ": line 2: longer than", StringComparison.Ordinal));
        Assert.Contains(source.Stats.Messages, m => m.StartsWith(path + ": line 4: longer than", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_DirectoryOfUnrelatedFiles_ThrowsNamingTheDirectory()
    {
        using var tmp = new TempDir();
        tmp.File("notes.txt", "hello\n");
        tmp.File("files.log", "#separator \\x09\n");

        var e = Assert.Throws<InputException>(() => new ZeekLogSource(tmp.Path));

        Assert.Contains(tmp.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains("no Zeek log", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_StreamOfJsonConnLines_ReadsWithoutAFileName()
    {
        byte[] bytes = "{\"ts\":5.0,\"uid\":\"S1\",\"id.orig_h\":\"192.168.1.2\",\"id.orig_p\":40000,\"id.resp_h\":\"8.8.8.8\",\"id.resp_p\":53,\"proto\":\"udp\",\"duration\":0.1,\"conn_state\":\"SF\",\"orig_pkts\":1,\"resp_pkts\":1}\n"u8.ToArray();
        using var source = new ZeekLogSource(new MemoryStream(bytes), "-");

        var f = Assert.IsType<FlowRecord>(Assert.Single(CollectingSink.RunAll(source).Events));

        Assert.Equal(IpAddr.Parse("8.8.8.8"), f.Destination);
        Assert.True(f.Established);
    }
}

public sealed class ZeekConnStateTests
{
    [Fact]
    public void ParseConnState_EveryZeekName_AgreesWithCoreAndSlipsRule()
    {
        foreach (var state in Enum.GetValues<ConnState>())
        {
            string name = state.ToZeek();
            byte[] bytes = System.Text.Encoding.ASCII.GetBytes(name);
            Assert.Equal(ConnStates.Parse(name), ZeekRecordBuilder.ParseConnState(bytes));
            for (int packets = 0; packets <= 6; packets++)
            {
                string line = $"{{\"ts\":1.0,\"uid\":\"C\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,\"proto\":\"tcp\",\"conn_state\":\"{name}\",\"orig_pkts\":{packets}}}\n";
                using var source = new ZeekLogSource(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(line)), "-");
                var f = Assert.IsType<FlowRecord>(Assert.Single(CollectingSink.RunAll(source).Events));
                Assert.Equal(name == "-" ? false : SlipsFlowState.IsEstablished(bytes, packets), f.Established);
            }
        }
    }
}

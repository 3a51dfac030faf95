using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// The parallel parse of flow files (<see cref="LineBlockPipeline"/>) against the serial one (ParseThreads = 1): the
/// same records field for field (SourceLine, Uid, bytes, Community ID text ...), the same counters and the same
/// first skip messages, with blocks small enough that block edges fall inside lines and every block has its own bad
/// lines; Zeek headers that change mid-file; lines over the limit; errors, cancellation and failing workers.
/// </summary>
public sealed class FlowFileBlockPipelineTests
{
    public static TheoryData<int, int> Splits => new()
    {
        { 2, 61 }, { 3, 257 }, { 4, 4096 }, { 2, 16 * 1024 },
    };

    /// <summary>What one run gave: records as text, counters, messages, and the error that ended it.</summary>
    private sealed record Outcome(string Records, int Count, long Lines, long Flows, long Skipped, long Bytes, string Messages, long Ignored,
                                  string? Error, bool InBlocks);

    private static Outcome Run(Func<IEventSource> open, int threads, int blockSize)
    {
        using var source = open();
        switch (source)
        {
            case ZeekLogSource z: z.ParseThreads = threads; z.BlockSize = blockSize; break;
            case ArgusSource a: a.ParseThreads = threads; a.BlockSize = blockSize; break;
            case SuricataSource e: e.ParseThreads = threads; e.BlockSize = blockSize; break;
        }

        var sink = new CollectingSink();
        string? error = null;
        var task = Task.Run(() => source.Run(sink, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        try
        {
            task.WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        }
        catch (InputException e)
        {
            error = e.Message;
        }

        var s = source.Stats;
        long ignored = source is SuricataSource eve ? eve.Ignored : 0;
        bool inBlocks = source switch
        {
            ZeekLogSource z => z.RanInBlocks,
            ArgusSource a => a.RanInBlocks,
            SuricataSource e => e.RanInBlocks,
            _ => false,
        };
        return new Outcome(RecordText.Of(sink.Events), sink.Events.Count, s.Records, s.Flows, s.Skipped, s.Bytes, string.Join('\n', s.Messages), ignored,
                           error, inBlocks);
    }

    /// <summary>The parallel run of <paramref name="open"/> equals the serial one; returns the serial outcome.</summary>
    private static Outcome AssertSameAsSerial(Func<IEventSource> open, int threads, int blockSize)
    {
        var serial = Run(open, 1, blockSize);
        var parallel = Run(open, threads, blockSize);
        Assert.False(serial.InBlocks);
        Assert.True(parallel.InBlocks, "the input was read serially: too small for the block size");
        Assert.Equal(serial.Error, parallel.Error);
        Assert.Equal(serial.Count, parallel.Count);
        Assert.Equal(serial.Lines, parallel.Lines);
        Assert.Equal(serial.Flows, parallel.Flows);
        Assert.Equal(serial.Skipped, parallel.Skipped);
        Assert.Equal(serial.Bytes, parallel.Bytes);
        Assert.Equal(serial.Ignored, parallel.Ignored);
        Assert.Equal(serial.Messages, parallel.Messages);
        Assert.Equal(serial.Records, parallel.Records);
        return serial;
    }

    private static string Ts(int i) => (1700000000 + i * 0.37).ToString("F6", CultureInfo.InvariantCulture);

    private const string ConnFields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id\tlabel";

    /// <summary>
    /// A conn.log with good lines, bad lines every few dozen (bad time, field count, address), escapes (the general
    /// path), blank and CRLF lines, comments, an indented header, and halfway a #close followed by a second header
    /// with other columns, another unset mark and the tab given again.
    /// </summary>
    private static string ConnTsv(int lines)
    {
        var sb = new StringBuilder();
        sb.Append("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\t").Append(ConnFields)
          .Append("\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring\tstring\n");
        string unset = "-";
        bool second = false;
        for (int i = 0; i < lines; i++)
        {
            if (i == lines / 2)
            {
                sb.Append("#close\t2024-01-01-00-00-00\n");
                sb.Append("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t?\n#path\tconn\n");
                sb.Append("#fields\tuid\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\tcommunity_id\n");
                unset = "?";
                second = true;
            }

            if (i % 89 == 5) sb.Append('\n');
            if (i % 101 == 7) sb.Append("# a comment line\n");
            if (i == lines / 3) sb.Append("  #path\tconn\n");
            string ts = i % 37 == 3 ? "bad" : Ts(i);
            string uid = i % 71 == 9 ? $"C\\x41{i}" : $"C{i}x";
            string orig = i % 43 == 11 ? "10.0.0.300" : $"10.0.{i % 7}.{i % 250 + 1}";
            string resp = i % 5 == 0 ? $"2001:db8::{i % 999 + 1:x}" : $"192.168.{i % 3}.{i % 200 + 1}";
            string proto = (i % 3) switch { 0 => "tcp", 1 => "udp", _ => "icmp" };
            string dur = i % 4 == 0 ? unset : (i * 0.013).ToString("F6", CultureInfo.InvariantCulture);
            string state = (i % 4) switch { 0 => "SF", 1 => "S0", 2 => "REJ", _ => "OTH" };
            string cid = i % 9 == 0 ? unset : $"1:cid{i}AbC/+=";
            string[] f = second
                ? [uid, ts, orig, (1024 + i % 60000).ToString(CultureInfo.InvariantCulture), resp, (i % 1024).ToString(CultureInfo.InvariantCulture), proto, dur,
                   (i * 7).ToString(CultureInfo.InvariantCulture), (i * 11).ToString(CultureInfo.InvariantCulture), state, "ShADdFf",
                   (i % 20).ToString(CultureInfo.InvariantCulture), (i * 9).ToString(CultureInfo.InvariantCulture), (i % 13).ToString(CultureInfo.InvariantCulture),
                   (i * 13).ToString(CultureInfo.InvariantCulture), cid]
                : [ts, uid, orig, (1024 + i % 60000).ToString(CultureInfo.InvariantCulture), resp, (i % 1024).ToString(CultureInfo.InvariantCulture), proto,
                   i % 6 == 0 ? "dns" : unset, dur, (i * 7).ToString(CultureInfo.InvariantCulture), (i * 11).ToString(CultureInfo.InvariantCulture), state,
                   i % 2 == 0 ? "T" : "F", "0", "ShADdFf", (i % 20).ToString(CultureInfo.InvariantCulture), (i * 9).ToString(CultureInfo.InvariantCulture),
                   (i % 13).ToString(CultureInfo.InvariantCulture), (i * 13).ToString(CultureInfo.InvariantCulture), i % 10 == 0 ? "a,b" : "(empty)", cid,
                   i % 2 == 0 ? "Benign" : "Malicious"];
            string line = string.Join('\t', f);
            if (i % 53 == 13) line += "\textra";
            sb.Append(line).Append(i % 97 == 4 ? "\r\n" : "\n");
        }

        return sb.ToString();
    }

    private static string ConnJson(int lines)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            if (i % 89 == 5) sb.Append('\n');
            string ts = i % 37 == 3 ? "\"bad\"" : Ts(i);
            string uid = i % 71 == 9 ? $"C\\u0041{i}" : $"C{i}j";
            string orig = i % 43 == 11 ? "10.0.0.300" : $"10.0.{i % 7}.{i % 250 + 1}";
            string extra = (i % 4) switch { 0 => ",\"service\":\"dns\",\"tunnel_parents\":[\"x\",\"y\"]", 1 => ",\"local_orig\":true", 2 => ",\"community_id\":\"1:j" + i + "=\"", _ => ",\"missed_bytes\":null" };
            sb.Append("{\"ts\":").Append(ts).Append(",\"uid\":\"").Append(uid).Append("\",\"id.orig_h\":\"").Append(orig)
              .Append("\",\"id.orig_p\":").Append(1024 + i % 60000).Append(",\"id.resp_h\":\"192.168.1.").Append(i % 200 + 1)
              .Append("\",\"id.resp_p\":").Append(i % 1024).Append(",\"proto\":\"").Append(i % 2 == 0 ? "tcp" : "udp")
              .Append("\",\"duration\":").Append((i * 0.013).ToString("F6", CultureInfo.InvariantCulture))
              .Append(",\"orig_bytes\":").Append(i * 7).Append(",\"resp_bytes\":").Append(i * 11).Append(",\"conn_state\":\"SF\",\"orig_pkts\":")
              .Append(i % 20).Append(",\"resp_pkts\":").Append(i % 13).Append(extra).Append(i % 53 == 13 ? "" : "}").Append('\n');
        }

        return sb.ToString();
    }

    private static string DnsTsv(int lines)
    {
        var sb = new StringBuilder("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n");
        sb.Append("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\tquery\tqtype_name\trcode_name\tanswers\tTTLs\n");
        for (int i = 0; i < lines; i++)
        {
            string ts = i % 37 == 3 ? "x" : Ts(i);
            string answers = i % 3 == 0 ? "-" : $"10.1.{i % 200}.1,host{i}.example";
            sb.Append(ts).Append("\tD").Append(i).Append("\t10.0.0.").Append(i % 250 + 1).Append('\t').Append(1024 + i).Append("\t8.8.8.8\t53\tudp\t")
              .Append(i % 65536).Append("\tq").Append(i).Append(".example.com\tA\tNOERROR\t").Append(answers).Append('\t').Append(i % 3 == 0 ? "-" : "60.0,120.0")
              .Append(i % 61 == 17 ? "\textra" : "").Append('\n');
        }

        return sb.ToString();
    }

    private static string Binetflow(int lines, char sep)
    {
        string[] header = ["StartTime", "Dur", "Proto", "SrcAddr", "Sport", "Dir", "DstAddr", "Dport", "State", "sTos", "dTos", "TotPkts", "TotBytes", "SrcBytes", "Label"];
        var sb = new StringBuilder(string.Join(sep, header)).Append('\n');
        var start = new DateTime(2013, 8, 15, 15, 0, 0, DateTimeKind.Utc);
        for (int i = 0; i < lines; i++)
        {
            if (i % 89 == 5) sb.Append('\n');
            string time = i % 37 == 3 ? "yesterday" : start.AddSeconds(i * 0.37).ToString("yyyy/MM/dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
            string proto = (i % 4) switch { 0 => "tcp", 1 => "udp", 2 => "icmp", _ => i % 8 == 3 ? "man" : "tcp" };
            string src = i % 43 == 11 ? "10.0.0.300" : i % 47 == 12 ? "00:11:22:33:44:55" : $"147.32.{i % 7}.{i % 250 + 1}";
            string dst = i % 47 == 12 ? "0" : $"{i % 200 + 1}.{i % 3}.2.3";
            string sport = i % 59 == 21 ? "99999" : i % 11 == 0 ? "0x0303" : (1024 + i % 60000).ToString(CultureInfo.InvariantCulture);
            string[] f = [time, (i * 0.013).ToString("F6", CultureInfo.InvariantCulture), proto, src, sport, "->", dst, (i % 1024).ToString(CultureInfo.InvariantCulture),
                          i % 2 == 0 ? "S_RA" : "FSPA_FSPA", "0", "0", (i % 20 + 1).ToString(CultureInfo.InvariantCulture),
                          (i * 17).ToString(CultureInfo.InvariantCulture), (i * 5).ToString(CultureInfo.InvariantCulture),
                          i % 2 == 0 ? "flow=Background-TCP-Established" : "flow=From-Botnet-V42-UDP-DNS"];
            string line = string.Join(sep, f);
            if (i % 61 == 17) line = string.Join(sep, f[..3]);
            sb.Append(line).Append(i % 97 == 4 ? "\r\n" : "\n");
        }

        return sb.ToString();
    }

    private static string Eve(int lines)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            if (i % 89 == 5) sb.Append('\n');
            string ts = $"2021-06-06T15:{i / 60 % 60:00}:{i % 60:00}.{i % 1000000:000000}+0200";
            string ip = i % 43 == 11 ? "10.0.0.300" : $"10.0.{i % 7}.{i % 250 + 1}";
            string line = (i % 6) switch
            {
                0 or 1 or 2 => $$$"""{"timestamp":"{{{ts}}}","flow_id":{{{1000000 + i}}},"event_type":"flow","src_ip":"{{{ip}}}","src_port":{{{1024 + i % 60000}}},"dest_ip":"192.168.1.{{{i % 200 + 1}}}","dest_port":{{{i % 1024}}},"proto":"{{{(i % 2 == 0 ? "TCP" : "UDP")}}}","app_proto":"{{{(i % 3 == 0 ? "dns" : "failed")}}}","flow":{"pkts_toserver":{{{i % 20}}},"pkts_toclient":{{{i % 13}}},"bytes_toserver":{{{i * 7}}},"bytes_toclient":{{{i * 11}}},"start":"{{{ts}}}","end":"{{{ts}}}","age":0,"state":"{{{(i % 2 == 0 ? "established" : "new")}}}","reason":"timeout","alerted":false},"community_id":"1:eve{{{i}}}="}""",
                3 => $$$"""{"timestamp":"{{{ts}}}","flow_id":{{{i}}},"event_type":"dns","src_ip":"{{{ip}}}","src_port":{{{1024 + i}}},"dest_ip":"8.8.8.8","dest_port":53,"proto":"UDP","dns":{"type":"answer","id":{{{i % 65536}}},"rrname":"q{{{i}}}.example","rrtype":"A","rcode":"NOERROR","answers":[{"rrname":"q{{{i}}}.example","rrtype":"A","ttl":60,"rdata":"10.9.{{{i % 200}}}.1"}]}}""",
                4 => $$$"""{"timestamp":"{{{ts}}}","event_type":"alert","src_ip":"{{{ip}}}","dest_ip":"1.2.3.4","alert":{"signature":"x{{{i}}}"}}""",
                _ => i % 12 == 5 ? $$$"""{"timestamp":"{{{ts}}}","event_type":"flow","src_ip":"{{{ip}}}" """ : $$$"""{"timestamp":"{{{ts}}}","event_type":"http","src_ip":"{{{ip}}}","dest_ip":"1.2.3.4","src_port":1,"dest_port":80,"proto":"TCP","http":{"hostname":"h{{{i}}}","url":"/{{{i}}}","http_method":"GET","status":200,"length":{{{i}}}}}""",
            };
            sb.Append(line).Append(i % 97 == 4 ? "\r\n" : "\n");
        }

        return sb.ToString();
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void ZeekConnTsv_ManyBlocksWithBadLinesAndSecondHeader_SameAsSerial(int threads, int blockSize)
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log", ConnTsv(3000));
        var serial = AssertSameAsSerial(() => new ZeekLogSource(path), threads, blockSize);

        // The generated file must hold both kinds of line and records under both headers for the comparison to mean anything.
        Assert.InRange(serial.Count, 2000, 2999);
        Assert.True(serial.Skipped > 100);
        Assert.Contains("conn.log: line ", serial.Messages, StringComparison.Ordinal);
        Assert.Contains("\"Uid\":\"C2999x\"", serial.Records, StringComparison.Ordinal);
        Assert.Contains("1:cid2999AbC", serial.Records, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ZeekConn_FlowIdsNotKept_RecordsWithoutThemAndOtherwiseTheSame(int threads)
    {
        // An analysis that writes no conn.log drops the log's community_id and aid: the records lose those two texts
        // and nothing else, on the fast path and the general one, read serially or in blocks.
        using var tmp = new TempDir();
        string path = tmp.File("conn.log", ConnTsv(3000));
        foreach (bool fast in new[] { true, false })
        {
            var kept = Run(() => new ZeekLogSource(path) { FastPath = fast }, threads, 4096);
            var dropped = Run(() => new ZeekLogSource(path) { FastPath = fast, KeepFlowIds = false }, threads, 4096);
            Assert.Contains("1:cid2999AbC", kept.Records, StringComparison.Ordinal);
            Assert.DoesNotContain("1:cid", dropped.Records, StringComparison.Ordinal);
            Assert.Equal(Blank(kept.Records), dropped.Records);
            Assert.Equal((kept.Count, kept.Skipped, kept.Messages), (dropped.Count, dropped.Skipped, dropped.Messages));
        }

        static string Blank(string records) => Regex.Replace(records, "\"(CommunityId|Aid)\":\"[^\"]*\"", "\"$1\":\"\"");
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void ZeekConnTsv_GeneralPath_SameAsSerial(int threads, int blockSize)
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log", ConnTsv(1500));
        AssertSameAsSerial(() => new ZeekLogSource(path) { FastPath = false }, threads, blockSize);
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void ZeekConnJson_FastAndGeneralPaths_SameAsSerial(int threads, int blockSize)
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log", ConnJson(2000));
        var serial = AssertSameAsSerial(() => new ZeekLogSource(path), threads, blockSize);
        Assert.InRange(serial.Count, 1500, 1999);
        AssertSameAsSerial(() => new ZeekLogSource(path) { FastPath = false }, threads, blockSize);

        // Without a file name the kind is guessed per line.
        string unnamed = tmp.File("flows.json", ConnJson(1000));
        AssertSameAsSerial(() => new ZeekLogSource(unnamed), threads, blockSize);
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void ZeekDnsTsv_ManyBlocks_SameAsSerial(int threads, int blockSize)
    {
        using var tmp = new TempDir();
        string path = tmp.File("dns.log", DnsTsv(2000));
        var serial = AssertSameAsSerial(() => new ZeekLogSource(path), threads, blockSize);
        Assert.True(serial.Count > 1500, serial.Messages);
        Assert.True(serial.Skipped > 50);
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void ZeekDirectory_LogsOnPipelinesOfTheirOwn_SameMergeAndMessagesAsSerial(int threads, int blockSize)
    {
        // Two logs of many blocks and one small log: the merge takes records from two pipelines and a serial reader,
        // and the messages of all three come in the order the serial merge gives them.
        using var tmp = new TempDir();
        tmp.File("conn.log", ConnTsv(2000));
        tmp.File("dns.log", DnsTsv(1500));
        tmp.File("http.log", "#separator \\x09\n#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\n"
                             + "1700000100.5\tH1\t10.0.0.1\t1\t10.0.0.2\t80\tGET\ta.example\t/\nbad\tH2\t10.0.0.1\t1\t10.0.0.2\t80\tGET\ta\t/\n");
        var serial = AssertSameAsSerial(() => new ZeekLogSource(tmp.Path), threads, blockSize);
        Assert.Contains("dns.log: line ", serial.Messages, StringComparison.Ordinal);
        Assert.Contains("conn.log: line ", serial.Messages, StringComparison.Ordinal);
        Assert.Contains("HttpRecord", serial.Records, StringComparison.Ordinal);
        Assert.Contains("DnsRecord", serial.Records, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, 4096)]
    [InlineData(3, 1024)]
    public void ZeekConn_SinkKeepingNoRecords_BlocksReuseRecordsAndEveryRecordAsSerial(int threads, int blockSize)
    {
        // A sink that keeps no record lets a block's flow records be reused for its next lines: each record, as the
        // sink sees it when it comes, must be what the serial read gives (no value of an earlier line left in it),
        // on the fast TSV and JSON paths and the general one, and through a directory's merge (which holds one record
        // per log, and asks a log for its next only once that record was sent).
        using var tmp = new TempDir();
        Directory.CreateDirectory(Path.Combine(tmp.Path, "json"));
        Directory.CreateDirectory(Path.Combine(tmp.Path, "dir"));
        string tsv = tmp.File("conn.log", ConnTsv(3000));
        string json = tmp.File("json/conn.log", ConnJson(2000));
        foreach (var open in new Func<IEventSource>[]
                 {
                     () => new ZeekLogSource(tsv), () => new ZeekLogSource(tsv) { FastPath = false }, () => new ZeekLogSource(json),
                 })
        {
            var serial = Run(open, 1, blockSize);
            using var source = (ZeekLogSource)open();
            source.ParseThreads = threads;
            source.BlockSize = blockSize;
            var sink = new SnapshotSink();
            source.Run(sink, TestContext.Current.CancellationToken);
            Assert.True(source.RanInBlocks);
            Assert.Equal(serial.Records, string.Concat(sink.Texts));
            Assert.True(sink.FlowObjects < sink.Flows / 2, $"{sink.FlowObjects} objects for {sink.Flows} flows");
        }

        tmp.File("dir/conn.log", ConnTsv(2000));
        tmp.File("dir/dns.log", DnsTsv(1500));
        var merged = Run(() => new ZeekLogSource(Path.Combine(tmp.Path, "dir")), 1, blockSize);
        using var dir = new ZeekLogSource(Path.Combine(tmp.Path, "dir")) { ParseThreads = threads, BlockSize = blockSize };
        var dirSink = new SnapshotSink();
        dir.Run(dirSink, TestContext.Current.CancellationToken);
        Assert.Equal(merged.Records, string.Concat(dirSink.Texts));
        Assert.True(dirSink.FlowObjects < dirSink.Flows / 2, $"{dirSink.FlowObjects} objects for {dirSink.Flows} flows");
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void ArgusCsvAndTab_ManyBlocksWithBadLines_SameAsSerial(int threads, int blockSize)
    {
        using var tmp = new TempDir();
        string csv = tmp.File("a.binetflow", Binetflow(3000, ','));
        var serial = AssertSameAsSerial(() => new ArgusSource(csv), threads, blockSize);
        Assert.InRange(serial.Count, 2000, 2999);
        Assert.True(serial.Skipped > 100);

        string tab = tmp.File("b.binetflow", Binetflow(1500, '\t'));
        Assert.True(AssertSameAsSerial(() => new ArgusSource(tab), threads, blockSize).Count > 1000);
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void SuricataEve_ManyBlocksWithBadLines_SameAsSerial(int threads, int blockSize)
    {
        using var tmp = new TempDir();
        string path = tmp.File("eve.json", Eve(3000));
        var serial = AssertSameAsSerial(() => new SuricataSource(path), threads, blockSize);
        Assert.True(serial.Count > 1500);
        Assert.True(serial.Skipped > 50);
        Assert.True(serial.Ignored > 300);
        AssertSameAsSerial(() => new SuricataSource(path) { FastPath = false }, threads, blockSize);
    }

    [Theory]
    [InlineData(2, 64)]
    [InlineData(3, 1000)]
    public void LinesOverTheLimit_AllFormats_SameMessagesAsSerial(int threads, int blockSize)
    {
        // Lines longer than the block (the block grows) and longer than the limit (dropped up to their newline), also
        // as the file's last line without a newline.
        const int Max = 300;
        using var tmp = new TempDir();
        string Long(int n) => new('x', n);
        string WithLongLines(string text, string? last)
        {
            var lines = text.Split('\n').ToList();
            for (int i = lines.Count - 10; i > 10; i -= 97)
            {
                lines.Insert(i, Long(i % 2 == 0 ? Max + 1 + i % 5000 : Max - 1));
            }

            lines.Insert(lines.Count - 1, Long(Max) + "\r");
            return string.Join('\n', lines) + last;
        }

        string conn = tmp.File("conn.log", WithLongLines(ConnTsv(1500), Long(Max + 1)));
        var serial = AssertSameAsSerial(() => new ZeekLogSource(conn, Max), threads, blockSize);
        Assert.Contains($"longer than {Max} bytes", serial.Messages, StringComparison.Ordinal);

        string argus = tmp.File("a.binetflow", WithLongLines(Binetflow(1500, ','), Long(Max) + "\r"));
        Assert.Contains($"longer than {Max} bytes", AssertSameAsSerial(() => new ArgusSource(argus, Max), threads, blockSize).Messages, StringComparison.Ordinal);

        string eve = tmp.File("eve.json", WithLongLines(Eve(1500), Long(Max - 1)));
        Assert.Contains($"longer than {Max} bytes", AssertSameAsSerial(() => new SuricataSource(eve, Max), threads, blockSize).Messages, StringComparison.Ordinal);
    }

    [Fact]
    public void Argus_NoHeaderLine_SameInputErrorAsSerial()
    {
        using var tmp = new TempDir();
        string text = Binetflow(1000, ',');
        string path = tmp.File("a.binetflow", "\n\n" + new string('y', 400) + "\n" + text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
        var serial = AssertSameAsSerial(() => new ArgusSource(path, 300), 2, 100);
        Assert.Contains("no Argus header line", serial.Error, StringComparison.Ordinal);
        Assert.Equal(1, serial.Skipped);

        string blank = tmp.File("blank.binetflow", new string('\n', 5000));
        Assert.Equal($"{blank}: the file is empty", AssertSameAsSerial(() => new ArgusSource(blank), 2, 100).Error);
    }

    [Fact]
    public void Run_CancelledPartWay_StopsWithinABlockOfRecords()
    {
        using var tmp = new TempDir();
        string path = tmp.File("conn.log", ConnTsv(20_000));
        using var source = new ZeekLogSource(path) { ParseThreads = 3, BlockSize = 4096 };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var sink = new CancellingSink(cts, 500);
        var task = Task.Run(() => source.Run(sink, cts.Token), TestContext.Current.CancellationToken);
        Assert.ThrowsAny<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        Assert.True(source.RanInBlocks);
        Assert.InRange(sink.Seen, 500, 500 + 1024);
    }

    [Fact]
    public void Run_SinkFails_ItsExceptionAfterTheRecordsBefore()
    {
        using var tmp = new TempDir();
        string path = tmp.File("eve.json", Eve(20_000));
        using var source = new SuricataSource(path) { ParseThreads = 2, BlockSize = 4096 };
        var task = Task.Run(() => source.Run(new ThrowingSink(700), TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        var e = Assert.Throws<InvalidOperationException>(() => task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        Assert.Equal("sink failed", e.Message);
        Assert.True(source.RanInBlocks);
    }

    /// <summary>A parser that records its thread and fails at one line, as a bug in a format's parser would.</summary>
    private sealed class FailingParser(long failAt, List<Thread> threads) : IBlockParser
    {
        public void Parse(LineBlock block, CancellationToken cancellationToken)
        {
            lock (threads) threads.Add(Thread.CurrentThread);
            var lines = new BlockLines(block, 1 << 20);
            while (lines.Next(out var line) != LineStatus.End)
            {
                if (lines.LineNumber == failAt) throw new FormatException($"line {lines.LineNumber} broke the parser");
                block.OnEvent(new FlowRecord { SourceLine = lines.LineNumber, Uid = Encoding.ASCII.GetString(line) });
            }
        }
    }

    [Theory]
    [InlineData(2, 50)]
    [InlineData(4, 7)]
    public void Next_WorkerFails_RecordsBeforeItThenItsException(int workers, int blockSize)
    {
        var text = new StringBuilder();
        for (int i = 1; i <= 500; i++) text.Append("line").Append(i).Append('\n');
        var threads = new List<Thread>();
        var got = new List<long>();
        var stats = new IngestStats();
        var pipeline = new LineBlockPipeline(new MemoryStream(Encoding.ASCII.GetBytes(text.ToString())), stats, () => new FailingParser(321, threads), null,
                                             workers, blockSize, 1 << 20, TestContext.Current.CancellationToken);
        FormatException e;
        using (pipeline)
        {
            e = Assert.Throws<FormatException>(() =>
            {
                while (pipeline.Next(TestContext.Current.CancellationToken) is { } r)
                {
                    Assert.Equal($"line{r.SourceLine}", r.Uid);
                    got.Add(r.SourceLine);
                }
            });
        }

        Assert.Equal("line 321 broke the parser", e.Message);
        Assert.Equal(Enumerable.Range(1, 320).Select(i => (long)i), got);
        // The workers are gone; the caller may have parsed blocks itself (when no worker had started them).
        lock (threads) Assert.All(threads, t => Assert.True(t == Thread.CurrentThread || !t.IsAlive));
    }

    /// <summary>A file whose reads fail part-way, as a disk error would.</summary>
    private sealed class FailingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        // MemoryStream's span overload comes here for a derived type.
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= failAfter) throw new IOException("read error at " + Position.ToString(CultureInfo.InvariantCulture));
            return base.Read(buffer, offset, Math.Min(count, failAfter - (int)Position));
        }
    }

    [Fact]
    public void Next_ReadFails_RecordsOfTheBlocksBeforeThenTheError()
    {
        var text = new StringBuilder();
        for (int i = 1; i <= 400; i++) text.Append("line").Append(i).Append('\n');
        var threads = new List<Thread>();
        long last = 0;
        using var pipeline = new LineBlockPipeline(new FailingStream(Encoding.ASCII.GetBytes(text.ToString()), 1000), new IngestStats(),
                                                   () => new FailingParser(-1, threads), null, 2, 64, 1 << 20, TestContext.Current.CancellationToken);
        var e = Assert.Throws<IOException>(() =>
        {
            while (pipeline.Next(TestContext.Current.CancellationToken) is { } r) last = r.SourceLine;
        });
        Assert.Equal("read error at 1000", e.Message);

        // The lines of the blocks read whole before the failing read came out (the last block's partial fill is lost).
        Assert.InRange(last, Encoding.ASCII.GetString(Encoding.ASCII.GetBytes(text.ToString()), 0, 1000 - 64).Count(c => c == '\n') - 1,
                       Encoding.ASCII.GetString(Encoding.ASCII.GetBytes(text.ToString()), 0, 1000).Count(c => c == '\n'));
    }

    public static TheoryData<string> Datasets => new()
    {
        "test9-mixed-zeek-dir/conn.log", "test9-mixed-zeek-dir/dns.log", "test9-mixed-zeek-dir/http.log", "test9-mixed-zeek-dir/ssl.log",
        "test10-mixed-zeek-dir/conn.log", "test13-malicious-dhcpscan-zeek-dir/conn.log", "test14-malicious-zeek-dir/conn.log",
        "test15-malicious-zeek-dir/conn.log", "test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled",
        "test18-malicious-ctu-sme-11-win/zeek-labeled/dns.log.labeled", "port-scans/horizontal/conn.log",
        "test2-malicious.binetflow", "test4-malicious.binetflow", "test5-mixed.binetflow", "test6-malicious.suricata.json",
    };

    [Theory]
    [MemberData(nameof(Datasets))]
    public void Dataset_ParallelParse_SameAsSerial(string relative)
    {
        string path = Requires.Dataset(relative);
        Func<IEventSource> open = relative.EndsWith(".binetflow", StringComparison.Ordinal) ? () => new ArgusSource(path)
            : relative.EndsWith(".json", StringComparison.Ordinal) ? () => new SuricataSource(path)
            : () => new ZeekLogSource(path);
        int blockSize = (int)Math.Clamp(new FileInfo(path).Length / 7, 64, 64 * 1024);
        var serial = AssertSameAsSerial(open, 2, blockSize);
        Assert.True(serial.Count > 0);
    }
}

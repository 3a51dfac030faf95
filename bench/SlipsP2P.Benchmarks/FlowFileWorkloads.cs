using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;

namespace SlipsP2P.Benchmarks;

/// <summary>
/// Flow files in memory, made from the flows of the generated capture (<see cref="Workloads.Records"/>): a Zeek
/// conn.log as TSV and as JSON, an Argus binetflow as in Stratosphere's datasets (calendar times, Label) and a
/// Suricata eve.json of flow events. One operation reads a whole file into a counting sink; the unit is one line.
/// Uids, Community IDs and flow ids are made from a seeded generator, so every run reads the same bytes.
/// </summary>
public sealed class FlowFileWorkloads
{
    private static readonly Lazy<FlowFileWorkloads> s_shared = new(() => new FlowFileWorkloads(Workloads.Shared));

    private FlowFileWorkloads(Workloads w)
    {
        var flows = new List<FlowRecord>();
        foreach (var r in w.Records)
        {
            if (r is FlowRecord f) flows.Add(f);
        }

        Lines = flows.Count;
        var random = new Random(1);
        var ids = new string[flows.Count * 3];
        var flowIds = new long[flows.Count];
        for (int i = 0; i < flows.Count; i++)
        {
            ids[3 * i] = "C" + Token(random, 17);
            ids[(3 * i) + 1] = "1:" + Token(random, 27) + "=";
            ids[(3 * i) + 2] = "2:" + Token(random, 27) + "=";
            flowIds[i] = random.NextInt64(1L << 40, 1L << 51);
        }

        ConnTsv = Build(flows, ids, flowIds, AppendConnTsv, ConnTsvHeader);
        ConnJson = Build(flows, ids, flowIds, AppendConnJson, "");
        Binetflow = Build(flows, ids, flowIds, AppendBinetflow, "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n");
        Eve = Build(flows, ids, flowIds, AppendEve, "");
    }

    /// <summary>The one shared instance.</summary>
    public static FlowFileWorkloads Shared => s_shared.Value;

    /// <summary>Data lines in each file (one per flow of the capture).</summary>
    public int Lines { get; }

    public byte[] ConnTsv { get; }

    public byte[] ConnJson { get; }

    public byte[] Binetflow { get; }

    public byte[] Eve { get; }

    /// <summary>Reads the TSV conn.log; returns the records read.</summary>
    public long ReadConnTsv() => Run(new ZeekLogSource(Open(ConnTsv), "conn.log", ZeekLogKind.Conn));

    /// <summary>Reads the JSON conn.log.</summary>
    public long ReadConnJson() => Run(new ZeekLogSource(Open(ConnJson), "conn.log", ZeekLogKind.Conn));

    /// <summary>Reads the binetflow.</summary>
    public long ReadBinetflow() => Run(new ArgusSource(Open(Binetflow), "flows.binetflow"));

    /// <summary>Reads the eve.json.</summary>
    public long ReadEve() => Run(new SuricataSource(Open(Eve), "eve.json"));

    /// <summary>The workloads by budget name, for the budget check and <c>--flow-files</c>.</summary>
    public (string Name, Func<long> Op)[] All() =>
    [
        ("conn-tsv-parse", ReadConnTsv),
        ("conn-json-parse", ReadConnJson),
        ("binetflow-parse", ReadBinetflow),
        ("eve-flow-parse", ReadEve),
    ];

    /// <summary>
    /// <c>--flow-files [NAME] [ROUNDS]</c>: lines per second of CPU time (user+sys of this process, so a busy machine
    /// does not count against it) and bytes allocated per line, after two warm-up rounds.
    /// </summary>
    public static int Report(string? only, int rounds, TextWriter output)
    {
        var w = Shared;
        output.WriteLine($"{w.Lines} lines per file; TSV {w.ConnTsv.Length / (double)w.Lines:0} B/line, JSON {w.ConnJson.Length / (double)w.Lines:0}, binetflow {w.Binetflow.Length / (double)w.Lines:0}, eve {w.Eve.Length / (double)w.Lines:0}");
        foreach (var (name, op) in w.All())
        {
            if (only is not null && only != name) continue;
            op();
            op();
            var process = System.Diagnostics.Process.GetCurrentProcess();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            long alloc0 = GC.GetAllocatedBytesForCurrentThread();
            long lines = 0;
            for (int i = 0; i < rounds; i++) lines += op();
            long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-16} {lines / cpu,14:N0} lines/s (CPU) {alloc / (double)lines,10:0.0} B/line  ({lines} lines, {cpu:0.00} s CPU)"));
        }

        return 0;
    }

    private static MemoryStream Open(byte[] data) => new(data, writable: false);

    private static long Run(IEventSource source)
    {
        var sink = new Counter();
        using (source) source.Run(sink, CancellationToken.None);
        return sink.Count;
    }

    private const string ConnTsvHeader =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2026-11-22-22-16-53\n"
        + "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id\taid\n"
        + "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring\tstring\n";

    private static byte[] Build(List<FlowRecord> flows, string[] ids, long[] flowIds, Action<StringBuilder, FlowRecord, string[], int, long> append, string header)
    {
        var sb = new StringBuilder(flows.Count * 256);
        sb.Append(header);
        for (int i = 0; i < flows.Count; i++) append(sb, flows[i], ids, i, flowIds[i]);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string Token(Random random, int length)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var chars = new char[length];
        for (int i = 0; i < length; i++) chars[i] = Alphabet[random.Next(Alphabet.Length)];
        return new string(chars);
    }

    private static string Proto(FlowRecord f) => f.Protocol switch
    {
        Protocol.Tcp => "tcp",
        Protocol.Udp => "udp",
        Protocol.Icmp or Protocol.Icmp6 => "icmp",
        _ => "unknown_transport",
    };

    private static string State(FlowRecord f) => f.StateText.Length > 0 ? f.StateText : f.State.ToString();

    private static void AppendConnTsv(StringBuilder sb, FlowRecord f, string[] ids, int i, long flowId)
    {
        var c = CultureInfo.InvariantCulture;
        sb.Append(c, $"{f.Timestamp:F6}\t{ids[3 * i]}\t{f.Source}\t{f.SourcePort}\t{f.Destination}\t{f.DestinationPort}\t{Proto(f)}\t");
        sb.Append(f.Service.Length > 0 ? f.Service : "-");
        sb.Append(c, $"\t{f.Duration:F6}\t{f.SourceBytes}\t{f.DestinationBytes}\t{State(f)}\t-\t-\t0\t{(f.History.Length > 0 ? f.History : "-")}");
        sb.Append(c, $"\t{f.SourcePackets}\t{f.SourceIpBytes}\t{f.DestinationPackets}\t{f.DestinationIpBytes}\t-\t{ids[(3 * i) + 1]}\t{ids[(3 * i) + 2]}\n");
    }

    private static void AppendConnJson(StringBuilder sb, FlowRecord f, string[] ids, int i, long flowId)
    {
        var c = CultureInfo.InvariantCulture;
        sb.Append(c, $"{{\"ts\":{f.Timestamp:F6},\"uid\":\"{ids[3 * i]}\",\"id.orig_h\":\"{f.Source}\",\"id.orig_p\":{f.SourcePort},\"id.resp_h\":\"{f.Destination}\",\"id.resp_p\":{f.DestinationPort},\"proto\":\"{Proto(f)}\"");
        if (f.Service.Length > 0) sb.Append(c, $",\"service\":\"{f.Service}\"");
        sb.Append(c, $",\"duration\":{f.Duration:F6},\"orig_bytes\":{f.SourceBytes},\"resp_bytes\":{f.DestinationBytes},\"conn_state\":\"{State(f)}\",\"missed_bytes\":0");
        if (f.History.Length > 0) sb.Append(c, $",\"history\":\"{f.History}\"");
        sb.Append(c, $",\"orig_pkts\":{f.SourcePackets},\"orig_ip_bytes\":{f.SourceIpBytes},\"resp_pkts\":{f.DestinationPackets},\"resp_ip_bytes\":{f.DestinationIpBytes},\"community_id\":\"{ids[(3 * i) + 1]}\"}}\n");
    }

    private static void AppendBinetflow(StringBuilder sb, FlowRecord f, string[] ids, int i, long flowId)
    {
        var c = CultureInfo.InvariantCulture;
        var start = DateTime.UnixEpoch.AddTicks((long)(f.Timestamp * TimeSpan.TicksPerSecond));
        string state = f.Protocol == Protocol.Tcp ? (f.Established ? "SRPA_SPA" : "S_RA") : f.Established ? "CON" : "INT";
        sb.Append(c, $"{start:yyyy'/'MM'/'dd HH':'mm':'ss'.'ffffff},{f.Duration:F6},{Proto(f)},{f.Source},{f.SourcePort},   <->,{f.Destination},{f.DestinationPort},{state},0,0,");
        sb.Append(c, $"{f.SourcePackets + f.DestinationPackets},{f.SourceBytes + f.DestinationBytes},{f.SourceBytes},flow=Background-Established-cmpgw-CVUT\n");
    }

    private static void AppendEve(StringBuilder sb, FlowRecord f, string[] ids, int i, long flowId)
    {
        var c = CultureInfo.InvariantCulture;
        var start = DateTime.UnixEpoch.AddTicks((long)(f.Timestamp * TimeSpan.TicksPerSecond));
        var end = start.AddTicks((long)(f.Duration * TimeSpan.TicksPerSecond));
        string proto = Proto(f).ToUpperInvariant();
        sb.Append(c, $"{{\"timestamp\":\"{end:yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff}+0000\",\"flow_id\":{flowId},\"in_iface\":\"eth0\",\"event_type\":\"flow\",");
        sb.Append(c, $"\"src_ip\":\"{f.Source}\",\"src_port\":{f.SourcePort},\"dest_ip\":\"{f.Destination}\",\"dest_port\":{f.DestinationPort},\"proto\":\"{proto}\",");
        if (f.Service.Length > 0) sb.Append(c, $"\"app_proto\":\"{f.Service}\",");
        sb.Append(c, $"\"flow\":{{\"pkts_toserver\":{f.SourcePackets},\"pkts_toclient\":{f.DestinationPackets},\"bytes_toserver\":{f.SourceIpBytes},\"bytes_toclient\":{f.DestinationIpBytes},");
        sb.Append(c, $"\"start\":\"{start:yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff}+0000\",\"end\":\"{end:yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff}+0000\",\"age\":{(int)f.Duration},");
        sb.Append(c, $"\"state\":\"{(f.Established ? "closed" : "new")}\",\"reason\":\"timeout\",\"alerted\":false}},\"community_id\":\"{ids[(3 * i) + 1]}\"");
        if (f.Protocol == Protocol.Tcp) sb.Append(",\"tcp\":{\"tcp_flags\":\"1b\",\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"1b\",\"syn\":true,\"fin\":true,\"psh\":true,\"ack\":true,\"state\":\"closed\"}");
        sb.Append("}\n");
    }

    private sealed class Counter : IEventSink
    {
        public long Count { get; private set; }

        public void OnEvent(NetEvent record) => Count++;
    }
}

/// <summary>Flow-file parsing to <see cref="FlowRecord"/>s (no detection): one operation reads a whole file.</summary>
[MemoryDiagnoser]
public class FlowFileBenchmarks
{
    private FlowFileWorkloads _w = null!;

    [GlobalSetup]
    public void Setup() => _w = FlowFileWorkloads.Shared;

    [Benchmark(Description = "Zeek conn.log TSV (whole file)")]
    public long ConnTsv() => _w.ReadConnTsv();

    [Benchmark(Description = "Zeek conn.log JSON (whole file)")]
    public long ConnJson() => _w.ReadConnJson();

    [Benchmark(Description = "Argus binetflow (whole file)")]
    public long Binetflow() => _w.ReadBinetflow();

    [Benchmark(Description = "Suricata eve.json flow events (whole file)")]
    public long Eve() => _w.ReadEve();
}

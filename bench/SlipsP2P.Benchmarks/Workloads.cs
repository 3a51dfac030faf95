using SlipsP2P.Core;
using SlipsP2P.Detection;
using SlipsP2P.Ingest.App;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Pcap;
using SlipsP2P.Ingest.Synthetic;

namespace SlipsP2P.Benchmarks;

/// <summary>
/// The inputs and operations shared by the BenchmarkDotNet classes and the allocation budget check, so that both
/// measure the same code. Everything is generated deterministically (seed 1) in memory; nothing is read from disk.
/// </summary>
public sealed class Workloads
{
    /// <summary>Packets in the generated capture (the scan and background mix of <c>slips tools gen-pcap</c>).</summary>
    public const int GeneratedPackets = 200_000;

    /// <summary>Long-lived TCP flows in the steady-state workload.</summary>
    public const int SteadyFlows = 64;

    /// <summary>Packets per steady-state operation.</summary>
    public const int SteadyPackets = 8192;

    private static readonly Lazy<Workloads> s_shared = new(() => new Workloads());

    private readonly AnalysisOptions _options = new();

    private Workloads()
    {
        var pcap = new MemoryStream();
        TrafficGenerator.Generate(new NonClosing(pcap), new TrafficGeneratorOptions { Seed = 1, TargetPackets = GeneratedPackets });
        Pcap = pcap.ToArray();

        var frames = new List<byte[]>();
        using (var reader = CaptureReader.Open(new MemoryStream(Pcap), "generated"))
        {
            var frame = default(CapturedFrame);
            while (true)
            {
                ReadResult r = reader.Read(ref frame);
                if (r == ReadResult.End) break;
                if (r == ReadResult.Packet) frames.Add(frame.Data.ToArray());
            }
        }

        Frames = frames.ToArray();
        PacketCount = Frames.Length;

        // Steady state: SteadyFlows established connections exchanging data both ways, one second apart per round.
        Steady = new byte[SteadyFlows * 2][];
        for (int i = 0; i < SteadyFlows; i++)
        {
            uint client = 0x0A000100u + (uint)i;
            uint server = 0x5DB8D800u + (uint)(i % 7);
            var payload = new byte[200];
            Steady[2 * i] = BuildTcp(client, server, (ushort)(40000 + i), 443, 1000, payload);
            Steady[(2 * i) + 1] = BuildTcp(server, client, 443, (ushort)(40000 + i), 5000, payload);
        }

        // Flow records as the capture path makes them, for the detection-only workloads.
        var collect = new CollectingSink();
        var table = new FlowTable(_options, collect) { ComputeFlowIds = false };
        var packet = default(DecodedPacket);
        for (int i = 0; i < Frames.Length; i++)
        {
            if (PacketDecoder.Decode(LinkType.Ethernet, Frames[i], ref packet) == DecodeStatus.Ip) table.Process(ref packet, 1_700_000_000 + (i * 0.0005), i + 1);
        }

        table.Flush();
        Records = collect.Records.ToArray();
        FlowCount = 0;
        foreach (var r in Records)
        {
            if (r is FlowRecord) FlowCount++;
        }

        Dns = BuildDnsResponse();
    }

    /// <summary>The one shared instance (generation takes a second).</summary>
    public static Workloads Shared => s_shared.Value;

    /// <summary>The generated capture as a pcap file image.</summary>
    public byte[] Pcap { get; }

    /// <summary>Its frames (Ethernet).</summary>
    public byte[][] Frames { get; }

    /// <summary>Frames in <see cref="Pcap"/>.</summary>
    public int PacketCount { get; }

    /// <summary>Ethernet frames of <see cref="SteadyFlows"/> established flows, both directions.</summary>
    public byte[][] Steady { get; }

    /// <summary>Records (flows and application records) the capture gives, in emission order.</summary>
    public NetEvent[] Records { get; }

    /// <summary>Flow records among <see cref="Records"/>.</summary>
    public int FlowCount { get; }

    /// <summary>A DNS response (one question, three A answers, name compression).</summary>
    public byte[] Dns { get; }

    public AnalysisOptions Options => _options;

    /// <summary>Reads every record header and frame of the capture; returns the frame count.</summary>
    public int ReadPcap()
    {
        using var reader = CaptureReader.Open(new MemoryStream(Pcap, writable: false), "generated");
        var frame = default(CapturedFrame);
        int n = 0;
        while (reader.Read(ref frame) != ReadResult.End) n++;
        return n;
    }

    /// <summary>Decodes every frame; returns the count of IP packets.</summary>
    public int DecodeAll()
    {
        var packet = default(DecodedPacket);
        int ip = 0;
        byte[][] frames = Frames;
        for (int i = 0; i < frames.Length; i++)
        {
            if (PacketDecoder.Decode(LinkType.Ethernet, frames[i], ref packet) == DecodeStatus.Ip) ip++;
        }

        return ip;
    }

    /// <summary>A flow table that already holds the steady flows.</summary>
    public FlowTable NewSteadyTable(out double clock)
    {
        var table = new FlowTable(_options, NullSink.Instance);
        clock = 1_700_000_000;
        SteadyRound(table, ref clock, SteadyPackets);
        return table;
    }

    /// <summary>Decodes and accounts <paramref name="packets"/> packets of the established flows.</summary>
    public void SteadyRound(FlowTable table, ref double clock, int packets)
    {
        var packet = default(DecodedPacket);
        byte[][] steady = Steady;
        for (int i = 0; i < packets; i++)
        {
            PacketDecoder.Decode(LinkType.Ethernet, steady[i % steady.Length], ref packet);
            clock += 0.00001;
            table.Process(ref packet, clock, i);
        }
    }

    /// <summary>Reads, decodes and assembles the whole capture into flows and application records (no detection).</summary>
    public long CaptureToFlows()
    {
        var sink = new CountingSink();
        var table = new FlowTable(_options, sink) { ComputeFlowIds = false };
        using var reader = CaptureReader.Open(new MemoryStream(Pcap, writable: false), "generated");
        Assemble(reader, table);
        return sink.Count;
    }

    /// <summary>Reads, decodes and assembles every packet of <paramref name="reader"/> into <paramref name="table"/>, then flushes it.</summary>
    public static void Assemble(CaptureReader reader, FlowTable table)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(table);
        var frame = default(CapturedFrame);
        var packet = default(DecodedPacket);
        while (true)
        {
            ReadResult r = reader.Read(ref frame);
            if (r == ReadResult.End) break;
            if (r != ReadResult.Packet) continue;
            if (PacketDecoder.Decode(frame.LinkType, frame.Data, ref packet) == DecodeStatus.Ip) table.Process(ref packet, frame.Timestamp, frame.Number);
            else table.Advance(frame.Timestamp);
        }

        table.Flush();
    }

    /// <summary>
    /// A detection pipeline as <c>slips -f</c> runs it without -D/-p: no per-window profile summaries or tuple
    /// letters (only -D and -p print them), every built-in detector unless <paramref name="detectors"/> are given.
    /// </summary>
    public static AnalysisPipeline NewDetectionPipeline(AnalysisOptions options, IAlertSink sink, IEnumerable<SlipsP2P.Detection.Detectors.IDetector>? detectors = null)
    {
        var pipeline = detectors is null ? new AnalysisPipeline(options, sink) : new AnalysisPipeline(options, sink, detectors);
        pipeline.KeepSummaries = false;
        pipeline.BuildSummaries = false;
        return pipeline;
    }

    /// <summary>Runs every record of the capture through a fresh detection pipeline with every built-in detector (as <see cref="NewDetectionPipeline"/>).</summary>
    public long Detect()
    {
        var alerts = new CountingAlerts();
        var pipeline = NewDetectionPipeline(_options, alerts);
        NetEvent[] records = Records;
        for (int i = 0; i < records.Length; i++) pipeline.OnEvent(records[i]);
        pipeline.Finish();
        return alerts.Evidence;
    }

    /// <summary>Parses the DNS response.</summary>
    public int ParseDns()
    {
        DnsMessage.TryRead(Dns, out var message, out _);
        return message?.Answers.Count ?? -1;
    }

    private static byte[] BuildTcp(uint src, uint dst, ushort sport, ushort dport, uint seq, byte[] payload)
    {
        var frame = new byte[FrameBuilder.EthernetLength + FrameBuilder.Ipv4Length + FrameBuilder.TcpLength + payload.Length];
        int n = FrameBuilder.Tcp(frame, src, dst, sport, dport, seq, 1, FrameBuilder.Psh | FrameBuilder.Ack, payload, 1);
        return frame.AsSpan(0, n).ToArray();
    }

    private static byte[] BuildDnsResponse()
    {
        var m = new List<byte>
        {
            0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
        };
        foreach (string label in new[] { "www", "example", "org" })
        {
            m.Add((byte)label.Length);
            foreach (char c in label) m.Add((byte)c);
        }

        m.AddRange([0, 0, 1, 0, 1]);
        for (int i = 0; i < 3; i++) m.AddRange([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 93, 184, 216, (byte)(34 + i)]);
        return m.ToArray();
    }

    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    }

    private sealed class CollectingSink : IEventSink
    {
        public List<NetEvent> Records { get; } = new();

        public void OnEvent(NetEvent record) => Records.Add(record);
    }

    private sealed class CountingSink : IEventSink
    {
        public long Count { get; private set; }

        public void OnEvent(NetEvent record) => Count++;
    }

    private sealed class NullSink : IEventSink
    {
        public static readonly NullSink Instance = new();

        public void OnEvent(NetEvent record)
        {
        }
    }

    /// <summary>Counts evidence; alerts are dropped.</summary>
    internal sealed class CountingAlerts : IAlertSink
    {
        public long Evidence { get; private set; }

        public void OnEvidence(Evidence evidence) => Evidence++;

        public void OnAlert(Alert alert)
        {
        }
    }
}

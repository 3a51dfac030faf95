using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Pcap;
using SlipsP2P.Ingest.Synthetic;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// The allocation budget of bench/allocation-budget.json enforced without BenchmarkDotNet: the whole capture path
/// (pcap record reading from a stream, Ethernet decoding, the flow table with application inspection on) allocates
/// nothing per packet once its flows exist.
/// </summary>
public sealed class AllocationBudgetTests
{
    private const int Flows = 64;
    private const int WarmupPackets = 20_000;
    private const int MeasuredPackets = 300_000;

    [Fact]
    public void CaptureReadDecodeFlowUpdate_SteadyState_AllocatesNothingPerPacket()
    {
        byte[] pcap = SteadyCapture(WarmupPackets + MeasuredPackets);
        var sink = new CountingSink();
        var table = new FlowTable(new AnalysisOptions(), sink);
        using var reader = CaptureReader.Open(new MemoryStream(pcap, writable: false), "steady.pcap");
        Assert.Equal(WarmupPackets, Run(reader, table, WarmupPackets)); // the flows exist, the table and buffers have their size
        // Three rounds, the least counted: a tier-up of the JIT on this thread is not the code's allocation.
        long allocated = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int measured = Run(reader, table, MeasuredPackets / 3);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(MeasuredPackets / 3, measured);
        }

        Assert.Equal(Flows, table.ActiveFlows);
        Assert.Equal(0, sink.Count); // no flow finished, so nothing per flow was due either
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for {MeasuredPackets / 3} packets of {Flows} established flows (budget: 0 per packet)");
    }

    [Fact]
    public void CaptureToFlows_FlowIdsOff_StillEmitsEveryFlowWithoutIds()
    {
        byte[] pcap = SteadyCapture(1000);
        var sink = new CountingSink();
        var table = new FlowTable(new AnalysisOptions(), sink) { ComputeFlowIds = false };
        using var reader = CaptureReader.Open(new MemoryStream(pcap, writable: false), "steady.pcap");
        var frame = default(CapturedFrame);
        var packet = default(DecodedPacket);
        while (reader.Read(ref frame) == ReadResult.Packet)
        {
            if (PacketDecoder.Decode(frame.LinkType, frame.Data, ref packet) == DecodeStatus.Ip) table.Process(ref packet, frame.Timestamp, frame.Number);
        }

        table.Flush();
        Assert.Equal(Flows, sink.Count);
        Assert.All(sink.Flows, f => Assert.Equal(("", ""), (f.CommunityId, f.Aid)));
        Assert.All(sink.Flows, f => Assert.NotEmpty(f.Uid));
    }

    private static int Run(CaptureReader reader, FlowTable table, int count)
    {
        var frame = default(CapturedFrame);
        var packet = default(DecodedPacket);
        int ip = 0;
        for (int i = 0; i < count; i++)
        {
            if (reader.Read(ref frame) != ReadResult.Packet) break;
            if (PacketDecoder.Decode(frame.LinkType, frame.Data, ref packet) != DecodeStatus.Ip) continue;
            table.Process(ref packet, frame.Timestamp, frame.Number);
            ip++;
        }

        return ip;
    }

    /// <summary>Ethernet frames of <see cref="Flows"/> TCP connections exchanging data both ways, 10 µs apart.</summary>
    internal static byte[] SteadyCapture(int packets)
    {
        var frames = new byte[Flows * 2][];
        var payload = new byte[200];
        for (int i = 0; i < Flows; i++)
        {
            uint client = 0x0A000100u + (uint)i;
            uint server = 0x5DB8D800u + (uint)(i % 7);
            frames[2 * i] = Tcp(client, server, (ushort)(40000 + i), 443, payload);
            frames[(2 * i) + 1] = Tcp(server, client, 443, (ushort)(40000 + i), payload);
        }

        var output = new MemoryStream();
        using (var writer = new PcapWriter(output))
        {
            for (int i = 0; i < packets; i++) writer.Write(1_700_000_000_000_000L + (i * 10L), frames[i % frames.Length]);
        }

        return output.ToArray();
    }

    private static byte[] Tcp(uint src, uint dst, ushort sport, ushort dport, byte[] payload)
    {
        var frame = new byte[FrameBuilder.EthernetLength + FrameBuilder.Ipv4Length + FrameBuilder.TcpLength + payload.Length];
        int n = FrameBuilder.Tcp(frame, src, dst, sport, dport, 1000, 1, FrameBuilder.Psh | FrameBuilder.Ack, payload, 1);
        return frame.AsSpan(0, n).ToArray();
    }

    private sealed class CountingSink : IEventSink
    {
        public List<FlowRecord> Flows { get; } = new();

        public int Count { get; private set; }

        public void OnEvent(NetEvent record)
        {
            Count++;
            if (record is FlowRecord f) Flows.Add(f);
        }
    }
}

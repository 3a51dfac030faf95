using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using static SlipsP2P.Ingest.Tests.PacketBuilder;

namespace SlipsP2P.Ingest.Tests;

public sealed class FlowTableTests
{
    private const byte Syn = 0x02, SynAck = 0x12, Ack = 0x10, Fin = 0x11, Rst = 0x04, RstAck = 0x14, PshAck = 0x18;
    private const string C = "10.0.0.1", S = "10.0.0.2";

    private readonly PcapCollectingSink _sink = new();
    private readonly FlowTable _table;
    private long _number;

    public FlowTableTests() => _table = new FlowTable(new AnalysisOptions(), _sink);

    private void Feed(double ts, byte[] ipPacket)
    {
        var p = default(DecodedPacket);
        Assert.Equal(DecodeStatus.Ip, PacketDecoder.Decode(LinkType.Raw, ipPacket, ref p));
        _table.Process(ref p, ts, ++_number);
    }

    private void C2S(double ts, byte flags, uint seq, uint ack, int data = 0) =>
        Feed(ts, Ipv4(C, S, 6, Tcp(40000, 80, seq, ack, flags, new byte[data])));

    private void S2C(double ts, byte flags, uint seq, uint ack, int data = 0) =>
        Feed(ts, Ipv4(S, C, 6, Tcp(80, 40000, seq, ack, flags, new byte[data])));

    /// <summary>The three-way handshake: the client's SYN at 1.0, the server's SYN-ACK at 1.1, the client's ACK at 1.2.</summary>
    private void Handshake()
    {
        C2S(1.0, Syn, 100, 0);
        S2C(1.1, SynAck, 500, 101);
        C2S(1.2, Ack, 101, 501);
    }

    private FlowRecord Only()
    {
        _table.Flush();
        return Assert.Single(_sink.Flows);
    }

    [Fact]
    public void Sweep_AfterABurstEnds_GivesBackSlotsAndKeepsTheOpenFlow()
    {
        // A TCP connection stays open across a burst of 20,000 one-packet UDP flows (issue 5: the table kept the burst's size).
        Handshake();
        for (int i = 0; i < 20_000; i++)
        {
            Feed(2 + (i * 1e-4), Ipv4($"10.1.{i / 250}.{1 + (i % 250)}", "10.0.2.2", 17, Udp(40000, 9999, [])));
        }

        Assert.Equal(20_001, _table.ActiveFlows);
        Assert.True(_table.Capacity >= 20_001);

        // Past the UDP timeout the burst is swept and the table shrinks; the TCP connection goes on in its new slot.
        C2S(100.3, PshAck, 101, 501, 10);
        Assert.Equal(1, _table.ActiveFlows);
        Assert.Equal(FlowTable.MinCapacity, _table.Capacity);
        S2C(100.35, Ack, 501, 111);
        S2C(100.4, PshAck, 501, 111, 20);
        C2S(100.5, Fin, 111, 521);
        S2C(100.6, Fin, 521, 112);
        C2S(100.7, Ack, 112, 522);
        Feed(100.8, Ipv4("10.9.9.9", "10.0.2.2", 17, Udp(40000, 9999, [])));
        _table.Flush();

        Assert.Equal(20_002, _sink.Flows.Count());
        var tcp = Assert.Single(_sink.Flows, f => f.Protocol == Protocol.Tcp);
        Assert.Equal("ShADadFf", tcp.History);
        Assert.Equal((10L, 20L), (tcp.SourceBytes, tcp.DestinationBytes));
        Assert.Equal((5L, 4L), (tcp.SourcePackets, tcp.DestinationPackets));
        Assert.Equal(ConnState.SF, tcp.State);
        Assert.Equal(0, _table.ActiveFlows);
    }

    [Fact]
    public void Sweep_ShrinkWithOpenFlowsInManySlotChunks_EachFlowKeepsItsOwnCounts()
    {
        // 700 TCP connections opened among a burst of 30,000 UDP flows, so their slots lie in many chunks of the slot
        // store; once the burst is swept the table compacts them into the first slots. Each must keep its own state.
        const int Connections = 700;
        double t = 1;
        for (int i = 0; i < 30_000; i++)
        {
            if (i % 40 == 0 && i / 40 < Connections)
            {
                int c = i / 40;
                Feed(t, Ipv4(Client(c), S, 6, Tcp(Port(c), 80, 100, 0, Syn, [])));
                Feed(t, Ipv4(S, Client(c), 6, Tcp(80, Port(c), 500, 101, SynAck, [])));
            }

            Feed(t, Ipv4($"10.1.{i / 250}.{1 + (i % 250)}", "10.0.2.2", 17, Udp(40000, 9999, [])));
            t += 1e-4;
        }

        int grown = _table.Capacity;
        for (int c = 0; c < Connections; c++)
        {
            // Past the UDP timeout: the first of these packets sweeps the burst and shrinks the table.
            Feed(200 + (c * 1e-3), Ipv4(Client(c), S, 6, Tcp(Port(c), 80, 101, 501, PshAck, new byte[1 + (c % 50)])));
        }

        Assert.Equal(Connections, _table.ActiveFlows);
        Assert.True(_table.Capacity < grown / 8, $"{_table.Capacity} of {grown}");
        for (int c = 0; c < Connections; c++)
        {
            Feed(201 + (c * 1e-3), Ipv4(S, Client(c), 6, Tcp(80, Port(c), 501, 102u + (uint)(c % 50), PshAck, new byte[c % 7])));
        }

        _table.Flush();
        var tcp = _sink.Flows.Where(f => f.Protocol == Protocol.Tcp).ToDictionary(f => f.SourcePort);
        Assert.Equal(Connections, tcp.Count);
        for (int c = 0; c < Connections; c++)
        {
            FlowRecord f = tcp[Port(c)];
            Assert.Equal(IpAddr.Parse(Client(c)), f.Source);
            Assert.Equal((1L + (c % 50), (long)(c % 7)), (f.SourceBytes, f.DestinationBytes));
            Assert.Equal((2L, 2L), (f.SourcePackets, f.DestinationPackets));
        }

        static string Client(int c) => $"10.5.{c / 200}.{1 + (c % 200)}";
        static ushort Port(int c) => (ushort)(20000 + c);
    }

    [Fact]
    public void Process_FullHandshakeDataAndFin_SfWithZeekHistory()
    {
        Handshake();
        C2S(1.3, PshAck, 101, 501, 10);
        S2C(1.35, Ack, 501, 111);
        S2C(1.4, PshAck, 501, 111, 20);
        C2S(1.5, Fin, 111, 521);
        S2C(1.6, Fin, 521, 112);
        C2S(1.7, Ack, 112, 522);
        FlowRecord f = Only();
        Assert.Equal(ConnState.SF, f.State);
        Assert.Equal("ShADadFf", f.History);
        Assert.Equal((10L, 20L), (f.SourceBytes, f.DestinationBytes));
        Assert.Equal((5L, 4L), (f.SourcePackets, f.DestinationPackets));
        Assert.Equal((5L * 40) + 10, f.SourceIpBytes);
        Assert.Equal(IpAddr.Parse(C), f.Source);
        Assert.Equal(80, f.DestinationPort);
        Assert.Equal(0.7, f.Duration, 6);
        Assert.True(f.Established);
        Assert.Equal("SF", f.StateText);
        Assert.Equal(CommunityId.Compute(IpAddr.Parse(C), IpAddr.Parse(S), 40000, 80, 6), f.CommunityId);
        Assert.StartsWith("2:", f.Aid, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_UnansweredSyn_S0()
    {
        C2S(1.0, Syn, 100, 0);
        C2S(2.0, Syn, 100, 0);
        FlowRecord f = Only();
        Assert.Equal(ConnState.S0, f.State);
        Assert.Equal("S", f.History);
        Assert.Equal(2, f.SourcePackets);
        Assert.False(f.Established);
    }

    [Fact]
    public void Process_SynAnsweredByRst_Rej()
    {
        C2S(1.0, Syn, 100, 0);
        S2C(1.1, RstAck, 0, 101);
        FlowRecord f = Only();
        Assert.Equal(ConnState.REJ, f.State);
        Assert.Equal("Sr", f.History);
        Assert.False(f.Established);
    }

    [Fact]
    public void Process_EstablishedThenOriginatorReset_Rsto()
    {
        Handshake();
        C2S(1.3, Rst, 101, 0);
        FlowRecord f = Only();
        Assert.Equal(ConnState.RSTO, f.State);
        Assert.Equal("ShAR", f.History);
        Assert.True(f.Established);
    }

    [Fact]
    public void Process_EstablishedThenResponderReset_Rstr()
    {
        Handshake();
        S2C(1.3, Rst, 501, 0);
        Assert.Equal(ConnState.RSTR, Only().State);
    }

    [Fact]
    public void Process_SynThenOwnReset_Rstos0()
    {
        C2S(1.0, Syn, 100, 0);
        C2S(1.1, Rst, 101, 0);
        Assert.Equal(ConnState.RSTOS0, Only().State);
    }

    [Fact]
    public void Process_MidstreamData_OthNotSyn()
    {
        C2S(1.0, PshAck, 1000, 2000, 100);
        S2C(1.1, Ack, 2000, 1100);
        FlowRecord f = Only();
        Assert.Equal(ConnState.OTH, f.State);
        Assert.Equal("Da", f.History);
    }

    [Fact]
    public void Process_SynAckSeenFirst_FlipsOriginator()
    {
        S2C(1.0, SynAck, 500, 101);
        C2S(1.1, Ack, 101, 501);
        FlowRecord f = Only();
        Assert.Equal(IpAddr.Parse(C), f.Source);
        Assert.Equal(80, f.DestinationPort);
        Assert.StartsWith("^h", f.History, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_HandshakeOnly_S1AndStillOpenUntilFlush()
    {
        Handshake();
        _table.Advance(100);
        Assert.Empty(_sink.Flows);
        Assert.Equal(ConnState.S1, Only().State);
    }

    [Fact]
    public void Process_RetransmittedData_CountedOnceAndMarkedT()
    {
        C2S(1.0, Syn, 100, 0);
        S2C(1.1, SynAck, 500, 101);
        C2S(1.2, PshAck, 101, 501, 50);
        C2S(1.3, PshAck, 101, 501, 50);
        FlowRecord f = Only();
        Assert.Equal(50, f.SourceBytes);
        Assert.Contains('T', f.History);
        Assert.Equal(3, f.SourcePackets);
    }

    [Fact]
    public void Advance_ClosedConnection_EmittedFiveSecondsAfterClose()
    {
        C2S(1.0, Syn, 100, 0);
        S2C(1.1, SynAck, 500, 101);
        C2S(1.2, Fin, 101, 501);
        S2C(1.3, Fin, 501, 102);
        _table.Advance(5.0);
        Assert.Empty(_sink.Flows);
        _table.Advance(7.0);
        Assert.Single(_sink.Flows);
    }

    [Fact]
    public void Advance_ManyApplicationFlowsDueInOneSweep_FinishOrderAndEachFlowAfterItsOwnRecords()
    {
        // More flows than a sweep prefetches ahead, due at once, in an order other than their slots': the unanswered
        // DNS lookups (slots 0-39) finish 10 s after their query, the closed TCP connections (slots 40-79) 5 s after
        // their close, so every connection comes before every lookup. Each lookup's record must come right before
        // its own flow, with its uid.
        var table = new FlowTable(new AnalysisOptions { UdpInactivityTimeout = 10 }, _sink);
        void Send(double ts, byte[] ip)
        {
            var p = default(DecodedPacket);
            Assert.Equal(DecodeStatus.Ip, PacketDecoder.Decode(LinkType.Raw, ip, ref p));
            table.Process(ref p, ts, ++_number);
        }

        for (int i = 0; i < 40; i++)
        {
            Send(1 + (i * 0.01), Ipv4(C, S, 17, Udp((ushort)(30000 + i), 53, DnsMessageTests.Query((ushort)i, $"q{i}.example"))));
        }

        for (int i = 0; i < 40; i++)
        {
            ushort port = (ushort)(40000 + i);
            double t = 2 + (i * 0.01);
            Send(t, Ipv4(C, S, 6, Tcp(port, 80, 100, 0, Syn)));
            Send(t + 0.001, Ipv4(S, C, 6, Tcp(80, port, 500, 101, SynAck)));
            Send(t + 0.002, Ipv4(C, S, 6, Tcp(port, 80, 101, 501, Fin)));
            Send(t + 0.003, Ipv4(S, C, 6, Tcp(80, port, 501, 102, Fin)));
            Send(t + 0.004, Ipv4(C, S, 6, Tcp(port, 80, 102, 502, Ack)));
        }

        Assert.Empty(_sink.Events);
        table.Advance(30);
        var flows = _sink.Flows.ToList();
        Assert.Equal(80, flows.Count);
        Assert.Equal(Enumerable.Range(40000, 40).Select(p => (int)p), flows.Take(40).Select(f => (int)f.SourcePort));
        Assert.Equal(Enumerable.Range(30000, 40).Select(p => (int)p), flows.Skip(40).Select(f => (int)f.SourcePort));
        for (int i = 0; i < 40; i++)
        {
            FlowRecord flow = flows[40 + i];
            int at = _sink.Events.IndexOf(flow);
            var dns = Assert.IsType<DnsRecord>(_sink.Events[at - 1]);
            Assert.Equal($"q{i}.example", dns.Query);
            Assert.Equal(flow.Uid, dns.Uid);
            Assert.Equal("dns", flow.Service);
        }

        Assert.Equal(120, _sink.Events.Count);
        Assert.Equal(0, table.ActiveFlows);
    }

    [Fact]
    public void Advance_SomeFlowsDueAmongMany_ExactlyThoseFinish()
    {
        // 13 UDP flows in slots 0-12 (the sweep reads due times four at a time, then the rest one by one): the ones in
        // slots 1, 4, 5, 11 and 12 go quiet at 2 s, the others get a packet at 8 s. At 13 s only the quiet ones are due.
        var table = new FlowTable(new AnalysisOptions { UdpInactivityTimeout = 10 }, _sink);
        void Send(int i, double ts)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, Ipv4(C, S, 17, Udp((ushort)(20000 + i), 9999, [1])), ref p);
            table.Process(ref p, ts, ++_number);
        }

        int[] quiet = [1, 4, 5, 11, 12];
        for (int i = 0; i < 13; i++) Send(i, 1 + (i * 0.01));
        for (int i = 0; i < 13; i++) Send(i, quiet.Contains(i) ? 2 : 8);
        table.Advance(13);
        Assert.Equal(quiet.Select(i => 20000 + i), _sink.Flows.Select(f => (int)f.SourcePort));
        table.Advance(19);
        Assert.Equal(13, _sink.Flows.Count());
    }

    [Fact]
    public void Advance_ManyFlowsDueInOneSweep_SinkToldOfEachFlowRecordBeforeItComes()
    {
        var sink = new PrefetchRecordingSink();
        var table = new FlowTable(new AnalysisOptions(), sink);
        for (int i = 0; i < 50; i++)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, Ipv4(C, S, 6, Tcp((ushort)(40000 + i), 80, 100, 0, Syn)), ref p);
            table.Process(ref p, 1 + (i * 0.01), ++_number);
        }

        table.Advance(30);
        var flows = sink.Events.OfType<FlowRecord>().ToList();
        Assert.Equal(50, flows.Count);
        // Every flow record was hinted, the same object, before it came (the first ones of the sweep are hinted as
        // the sweep starts, so some come right after their hint).
        Assert.Equal(flows, sink.Hinted.Select(h => h.Record));
        Assert.Equal(0, sink.Unsent);
        Assert.Contains(sink.Hinted, h => h.Ahead >= 3);
    }

    [Fact]
    public void Advance_CloseAfterASweepWorkedOutTheFinishTime_FinishesFiveSecondsAfterTheClose()
    {
        // A sweep works out the established connection's finish time (inactivity, minutes away); the close that follows
        // must move it to 5 s after the close: a sweep may not keep a finish time worked out before the flow's last packets.
        Handshake();
        _table.Advance(3.0);
        C2S(10.0, Fin, 101, 501);
        S2C(10.1, Fin, 501, 102);
        C2S(10.2, Ack, 102, 502);
        _table.Advance(14.0);
        Assert.Empty(_sink.Flows);
        _table.Advance(16.0);
        Assert.Equal(ConnState.SF, Assert.Single(_sink.Flows).State);
    }

    [Fact]
    public void Advance_PacketAfterASweepWorkedOutTheFinishTime_FlowLivesOn()
    {
        var table = new FlowTable(new AnalysisOptions { UdpInactivityTimeout = 10 }, _sink);
        void Udp1(double ts)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, Ipv4(C, S, 17, Udp(5000, 9999, [1, 2])), ref p);
            table.Process(ref p, ts, ++_number);
        }

        Udp1(1);
        table.Advance(5); // finish time worked out: 11
        Udp1(9);          // now 19
        table.Advance(12);
        Assert.Empty(_sink.Flows);
        table.Advance(20);
        Assert.Equal(2, Assert.Single(_sink.Flows).SourcePackets);
    }

    [Fact]
    public void Advance_PortReusedBeforeTheNextSweep_NewFlowInTheFreedSlotFinishesOnTime()
    {
        // The rejected connection's slot is freed and taken by the new attempt between two sweeps, so the slot is on
        // the list of changed flows twice; the attempt still finishes 5 s after its SYN, at the next sweep after that.
        C2S(1.0, Syn, 100, 0);
        S2C(1.1, RstAck, 0, 101);
        C2S(1.5, Syn, 9000, 0);
        _table.Advance(10.0);
        var flows = _sink.Flows.ToList();
        Assert.Equal(2, flows.Count);
        Assert.Equal(ConnState.REJ, flows[0].State);
        Assert.Equal(ConnState.S0, flows[1].State);
        Assert.Equal(0, _table.ActiveFlows);
    }

    [Fact]
    public void Advance_UdpInactivity_SplitsFlowsByTimeout()
    {
        var table = new FlowTable(new AnalysisOptions { UdpInactivityTimeout = 10 }, _sink);
        void Udp1(double ts)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, Ipv4(C, S, 17, Udp(5000, 9999, [1, 2])), ref p);
            table.Process(ref p, ts, 0);
        }

        Udp1(1);
        Udp1(5);
        Udp1(30); // 25 s idle > 10 s: the first flow ended, a new one begins
        table.Flush();
        var flows = _sink.Flows.ToList();
        Assert.Equal(2, flows.Count);
        Assert.Equal(2, flows[0].SourcePackets);
        Assert.Equal(ConnState.S0, flows[0].State);
        Assert.NotEqual(flows[0].Uid, flows[1].Uid);
        Assert.Equal(4, flows[0].SourceBytes);
    }

    [Fact]
    public void Process_UdpBothWays_SfAndEstablished()
    {
        Feed(1, Ipv4(C, S, 17, Udp(5000, 9999, [1])));
        Feed(2, Ipv4(S, C, 17, Udp(9999, 5000, [1, 2])));
        FlowRecord f = Only();
        Assert.Equal(ConnState.SF, f.State);
        Assert.True(f.Established);
        Assert.Equal((1L, 2L), (f.SourceBytes, f.DestinationBytes));
    }

    [Fact]
    public void Process_DnsResponseSeenFirst_ClientIsOriginator()
    {
        Feed(1, Ipv4(S, C, 17, Udp(53, 40000, new byte[12])));
        FlowRecord f = Only();
        Assert.Equal(IpAddr.Parse(C), f.Source);
        Assert.Equal(53, f.DestinationPort);
    }

    [Fact]
    public void Process_IcmpEchoAndReply_OneFlowKeyedAsZeek()
    {
        Feed(1, Ipv4(C, S, 1, Icmp(8, 0)));
        Feed(1.1, Ipv4(S, C, 1, Icmp(0, 0)));
        FlowRecord f = Only();
        Assert.Equal((8, 0), (f.SourcePort, f.DestinationPort));
        Assert.Equal(Protocol.Icmp, f.Protocol);
        Assert.Equal((1L, 1L), (f.SourcePackets, f.DestinationPackets));
        Assert.True(f.Established);
        Assert.Equal(ConnState.OTH, f.State);
    }

    [Fact]
    public void Process_PortReuseAfterClose_NewConnection()
    {
        C2S(1.0, Syn, 100, 0);
        S2C(1.1, RstAck, 0, 101);
        C2S(2.0, Syn, 9000, 0);
        _table.Flush();
        var flows = _sink.Flows.ToList();
        Assert.Equal(2, flows.Count);
        Assert.Equal(ConnState.REJ, flows[0].State);
        Assert.Equal(ConnState.S0, flows[1].State);
    }

    /// <summary>One-packet UDP flows from <paramref name="count"/> client ports, flushed, under uid seed <paramref name="seed"/>.</summary>
    private static List<FlowRecord> UdpFlows(ulong seed, int count)
    {
        var sink = new PcapCollectingSink();
        var t = new FlowTable(new AnalysisOptions(), sink);
        t.SeedUids(seed);
        for (int i = 0; i < count; i++)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, Ipv4(C, S, 17, Udp((ushort)(1000 + i), 7, [1])), ref p);
            t.Process(ref p, i, i);
        }

        t.Flush();
        return sink.Flows.ToList();
    }

    [Fact]
    public void Flush_FlowsWithoutApplicationRecords_UidPackedAndZeekShaped()
    {
        var flows = UdpFlows(7, 20);

        Assert.Equal(20, flows.Count);
        Assert.All(flows, f => Assert.True(f.TryGetPackedUid(out _)));
        Assert.All(flows, f => Assert.Matches("^C[0-9A-Za-z]{17}$", f.Uid));
        // Pinned (worked out by hand from the scheme: a 63-bit SplitMix hash of seed and counter, its 11 base62 digits
        // and 6 check digits), so that a change of the scheme, which changes every output's uids, is seen.
        Assert.Equal("CKFFLCkvUin0vAdGcM", FlowUid.Create(7, 0).ToString());
        Assert.Equal("CTdLhkWGdbH48uJjnn", FlowUid.Create(7, 1).ToString());
        Assert.Equal("CxXUVqWEW042lt1STr", FlowUid.Create(42, 999).ToString());
        // Numbered: detectors can keep them in 8 bytes.
        Assert.All(flows, f => Assert.True(f.TryGetPackedUid(out var uid) && uid.TryGetNumber(out _)));
    }

    [Fact]
    public void Flush_ManyFlows_UidsDeterministicForSameSeed()
    {
        List<string> Run() => UdpFlows(42, 50).Select(f => f.Uid).ToList();

        var a = Run();
        Assert.Equal(a, Run());
        Assert.Equal(50, a.Distinct().Count());
        Assert.All(a, u => Assert.Matches("^C[0-9A-Za-z]{17}$", u));
    }

    [Fact]
    public void Process_SteadyStatePackets_DoNotAllocate()
    {
        var table = new FlowTable(new AnalysisOptions(), _sink, inspectApplications: false);
        byte[] a = Ipv4(C, S, 6, Tcp(40000, 80, 100, 0, PshAck, new byte[100]));
        byte[] b = Ipv4(S, C, 6, Tcp(80, 40000, 500, 0, PshAck, new byte[100]));
        void Run(int n, double t0)
        {
            for (int i = 0; i < n; i++)
            {
                var p = default(DecodedPacket);
                PacketDecoder.Decode(LinkType.Raw, (i & 1) == 0 ? a : b, ref p);
                table.Process(ref p, t0 + (i * 0.0001), i);
            }
        }

        Run(1000, 1); // warm up: the flow exists, the dictionary has its bucket
        // The least of three rounds: tiered JIT compilation can allocate on this thread once in a while; a real
        // per-packet allocation shows in every round (100000 packets x even 8 bytes is far above the bound).
        long allocated = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run(100_000, 2 + (round * 10));
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 100000 packets");
    }
}

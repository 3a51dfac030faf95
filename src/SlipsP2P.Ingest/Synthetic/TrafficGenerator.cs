using System.Buffers.Binary;
using System.Text;

namespace SlipsP2P.Ingest.Synthetic;

/// <summary>Settings of <see cref="TrafficGenerator"/>.</summary>
public sealed class TrafficGeneratorOptions
{
    /// <summary>Seed: the same seed and settings give the same file, byte for byte.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>About how many packets to write (the scans come on top).</summary>
    public long TargetPackets { get; set; } = 2_000_000;

    /// <summary>Unix time of the first packet.</summary>
    public double StartTime { get; set; } = 1_700_000_000;

    /// <summary>New benign flows per second of traffic time (sets how long the capture spans).</summary>
    public double FlowsPerSecond { get; set; } = 200;

    /// <summary>Ports probed by the vertical scanner (0 for no vertical scan).</summary>
    public int VerticalScanPorts { get; set; } = 1000;

    /// <summary>Hosts probed by the horizontal scanner (0 for no horizontal scan).</summary>
    public int HorizontalScanHosts { get; set; } = 1000;
}

/// <summary>What a generated capture holds, so that a benchmark can check the analysis found what is there.</summary>
public sealed record TrafficSummary(long Packets, long Flows, double FirstTimestamp, double LastTimestamp,
                                    string VerticalScanner, string VerticalVictim, string HorizontalScanner, int HorizontalPort);

/// <summary>
/// Writes a deterministic, realistic capture for benchmarks and tests: complete TCP sessions (HTTP, TLS with SNI,
/// SSH) with data both ways, each preceded by its DNS lookup, ICMP echoes, plus one vertical and one horizontal
/// SYN scan spread through the capture. Flows overlap in time as on a real link.
/// </summary>
public static class TrafficGenerator
{
    private const uint ClientBase = 0x0A00_0000 | (1 << 8);     // 10.0.1.0: the LAN's clients
    private const int ClientCount = 250;
    private const uint Resolver = 0x0A00_0035;                   // 10.0.0.53
    private const uint VerticalScanner = 0x0A00_4206;            // 10.0.66.6
    private const uint VerticalVictim = 0x0A00_010A;             // 10.0.1.10
    private const uint HorizontalScanner = 0x0A00_4207;          // 10.0.66.7
    private const ushort HorizontalPort = 445;
    private const int ServerCount = 3000;
    private const int Mss = 1448;

    private static readonly string[] s_agents =
    [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "curl/7.88.1",
    ];

    /// <summary>Generates the capture into <paramref name="output"/> (owned) and says what it holds.</summary>
    public static TrafficSummary Generate(Stream output, TrafficGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rng = new Random(options.Seed);
        var queue = new PriorityQueue<byte[], (long Ts, long Seq)>();
        long seq = 0;
        long flows = 0;
        long startMicros = (long)(options.StartTime * 1_000_000);
        long nowMicros = startMicros;
        long lastWritten = startMicros;
        var servers = new uint[ServerCount];
        for (int i = 0; i < servers.Length; i++) servers[i] = PublicAddress(rng);

        using var writer = new PcapWriter(output);
        var frame = new byte[Mss + 200];

        void Emit(long ts, int length)
        {
            queue.Enqueue(frame.AsSpan(0, length).ToArray(), (ts, seq++));
        }

        void Drain(long upTo)
        {
            while (queue.TryPeek(out _, out var key) && key.Ts <= upTo)
            {
                var f = queue.Dequeue();
                writer.Write(key.Ts, f);
                lastWritten = key.Ts;
            }
        }

        long meanGap = (long)(1_000_000 / options.FlowsPerSecond);
        long benignPackets = 0;
        // Scans are spread evenly over the capture: one probe every `every` benign flows.
        long expectedFlows = Math.Max(1, options.TargetPackets / 7);
        int verticalDone = 0, horizontalDone = 0;
        long verticalEvery = options.VerticalScanPorts > 0 ? Math.Max(1, expectedFlows / options.VerticalScanPorts) : long.MaxValue;
        long horizontalEvery = options.HorizontalScanHosts > 0 ? Math.Max(1, expectedFlows / options.HorizontalScanHosts) : long.MaxValue;
        long nextVertical = verticalEvery, nextHorizontal = horizontalEvery;
        ushort ipId = 1;

        while (benignPackets < options.TargetPackets)
        {
            nowMicros += 1 + (long)(-Math.Log(1 - rng.NextDouble()) * meanGap);
            Drain(nowMicros);
            uint client = ClientBase + (uint)rng.Next(ClientCount);
            if (client == VerticalVictim) client++;
            double pick = rng.NextDouble();
            if (pick < 0.10)
            {
                // A host pings a few hosts it knows (its gateway, a monitor), not hundreds: that would be a sweep.
                benignPackets += Ping(servers[(int)((client * 7 + (uint)rng.Next(3)) % ServerCount)], client);
                flows++;
            }
            else if (pick < 0.35)
            {
                benignPackets += Dns(client, rng.Next(100_000), out _);
                flows++;
            }
            else
            {
                // A lookup, then the connection to the answer a few ms later.
                benignPackets += Dns(client, rng.Next(100_000), out uint server);
                long after = nowMicros + 2_000 + rng.Next(20_000);
                int kind = rng.Next(10);
                ushort port = kind < 6 ? (ushort)443 : kind < 9 ? (ushort)80 : (ushort)22;
                benignPackets += TcpSession(after, client, server, port);
                flows += 2;
            }

            if (flows >= nextVertical && verticalDone < options.VerticalScanPorts)
            {
                nextVertical += verticalEvery;
                Probe(VerticalScanner, VerticalVictim, (ushort)(1 + verticalDone), open: verticalDone % 97 == 21);
                verticalDone++;
                flows++;
            }

            if (flows >= nextHorizontal && horizontalDone < options.HorizontalScanHosts)
            {
                nextHorizontal += horizontalEvery;
                Probe(HorizontalScanner, 0x0A01_0000u + (uint)horizontalDone + 1, HorizontalPort, open: horizontalDone % 50 == 7);
                horizontalDone++;
                flows++;
            }
        }

        // Whatever part of the scans did not fit is sent at the end, in a burst.
        while (verticalDone < options.VerticalScanPorts)
        {
            nowMicros += 500;
            Probe(VerticalScanner, VerticalVictim, (ushort)(1 + verticalDone++), open: false);
            flows++;
        }

        while (horizontalDone < options.HorizontalScanHosts)
        {
            nowMicros += 500;
            Probe(HorizontalScanner, 0x0A01_0000u + (uint)horizontalDone++ + 1, HorizontalPort, open: false);
            flows++;
        }

        Drain(long.MaxValue);
        return new TrafficSummary(writer.Packets, flows, options.StartTime, lastWritten / 1e6,
                                  Text(VerticalScanner), Text(VerticalVictim), Text(HorizontalScanner), HorizontalPort);

        int Ping(uint target, uint from)
        {
            ushort id = (ushort)rng.Next(1, 65535);
            Emit(nowMicros, FrameBuilder.IcmpEcho(frame, from, target, 8, id, 1, ipId++));
            Emit(nowMicros + 10_000 + rng.Next(40_000), FrameBuilder.IcmpEcho(frame, target, from, 0, id, 1, ipId++));
            return 2;
        }

        int Dns(uint from, int nameIndex, out uint answer)
        {
            string name = $"host{nameIndex}.example{nameIndex % 37}.com";
            answer = servers[nameIndex % servers.Length];
            ushort txid = (ushort)rng.Next(65536);
            ushort sport = (ushort)(32768 + rng.Next(28000));
            int n = DnsMessage(frame.AsSpan(100), txid, name, response: false, answer);
            var payload = frame.AsSpan(100, n).ToArray();
            Emit(nowMicros, FrameBuilder.Udp(frame, from, Resolver, sport, 53, payload, ipId++));
            n = DnsMessage(frame.AsSpan(100), txid, name, response: true, answer);
            payload = frame.AsSpan(100, n).ToArray();
            Emit(nowMicros + 1_000 + rng.Next(30_000), FrameBuilder.Udp(frame, Resolver, from, 53, sport, payload, ipId++));
            return 2;
        }

        int TcpSession(long t, uint c, uint s, ushort port)
        {
            ushort sport = (ushort)(32768 + rng.Next(28000));
            uint cseq = (uint)rng.Next(), sseq = (uint)rng.Next();
            long rtt = 5_000 + rng.Next(60_000);
            int packets = 0;
            void C(byte flags, ReadOnlySpan<byte> data)
            {
                Emit(t, FrameBuilder.Tcp(frame, c, s, sport, port, cseq, sseq, flags, data, ipId++));
                packets++;
            }

            void S(byte flags, ReadOnlySpan<byte> data)
            {
                Emit(t, FrameBuilder.Tcp(frame, s, c, port, sport, sseq, cseq, flags, data, ipId++));
                packets++;
            }

            C(FrameBuilder.Syn, default); cseq++; t += rtt / 2;
            S(FrameBuilder.Syn | FrameBuilder.Ack, default); sseq++; t += rtt / 2;
            C(FrameBuilder.Ack, default); t += 100;

            byte[] request = port switch
            {
                80 => Encoding.ASCII.GetBytes($"GET /page/{rng.Next(1000)} HTTP/1.1\r\nHost: www.example{rng.Next(37)}.com\r\nUser-Agent: {s_agents[rng.Next(s_agents.Length)]}\r\nAccept: */*\r\n\r\n"),
                443 => ClientHello($"www.example{rng.Next(37)}.com", rng),
                _ => Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
            };
            if (port == 22)
            {
                var banner = Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_8.4p1 Ubuntu-6\r\n");
                S(FrameBuilder.Psh | FrameBuilder.Ack, banner); sseq += (uint)banner.Length; t += rtt / 2;
            }

            C(FrameBuilder.Psh | FrameBuilder.Ack, request); cseq += (uint)request.Length; t += rtt / 2;
            int segments = 1 + rng.Next(port == 22 ? 4 : 12);
            var data = new byte[Mss];
            for (int i = 0; i < segments; i++)
            {
                int len = i == segments - 1 ? 100 + rng.Next(Mss - 100) : Mss;
                if (i == 0 && port == 80)
                {
                    var head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
                    head.CopyTo(data, 0);
                }
                else
                {
                    rng.NextBytes(data.AsSpan(0, len));
                }

                S(FrameBuilder.Psh | FrameBuilder.Ack, data.AsSpan(0, len)); sseq += (uint)len; t += 200;
                if (i % 2 == 1 || i == segments - 1)
                {
                    C(FrameBuilder.Ack, default);
                    t += 200;
                }
            }

            t += rtt;
            C(FrameBuilder.Fin | FrameBuilder.Ack, default); cseq++; t += rtt / 2;
            S(FrameBuilder.Fin | FrameBuilder.Ack, default); sseq++; t += rtt / 2;
            C(FrameBuilder.Ack, default);
            return packets;
        }

        void Probe(uint scanner, uint target, ushort port, bool open)
        {
            ushort sport = (ushort)(40000 + rng.Next(20000));
            uint s0 = (uint)rng.Next();
            Emit(nowMicros, FrameBuilder.Tcp(frame, scanner, target, sport, port, s0, 0, FrameBuilder.Syn, default, ipId++));
            if (open)
            {
                Emit(nowMicros + 300, FrameBuilder.Tcp(frame, target, scanner, port, sport, 77, s0 + 1, FrameBuilder.Syn | FrameBuilder.Ack, default, ipId++));
                Emit(nowMicros + 600, FrameBuilder.Tcp(frame, scanner, target, sport, port, s0 + 1, 0, FrameBuilder.Rst, default, ipId++));
            }
            else if ((target & 1) == 0)
            {
                // Half the closed targets answer with RST-ACK; the others are silent (filtered or absent).
                Emit(nowMicros + 300, FrameBuilder.Tcp(frame, target, scanner, port, sport, 0, s0 + 1, FrameBuilder.Rst | FrameBuilder.Ack, default, ipId++));
            }
        }
    }

    private static uint PublicAddress(Random rng)
    {
        while (true)
        {
            uint a = (uint)rng.Next(1 << 30) << 2 | (uint)rng.Next(4);
            uint first = a >> 24;
            if (first is 0 or 10 or 127 or 100 or 169 or 172 or 192 or >= 224) continue;
            if ((a & 0xFF) is 0 or 255) continue;
            return a;
        }
    }

    private static string Text(uint a) => $"{a >> 24}.{(a >> 16) & 0xFF}.{(a >> 8) & 0xFF}.{a & 0xFF}";

    /// <summary>A DNS query or its answer (one A record) for <paramref name="name"/>.</summary>
    private static int DnsMessage(Span<byte> m, ushort id, string name, bool response, uint answer)
    {
        BinaryPrimitives.WriteUInt16BigEndian(m, id);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], response ? (ushort)0x8180 : (ushort)0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(m[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(m[6..], response ? (ushort)1 : (ushort)0);
        BinaryPrimitives.WriteUInt32BigEndian(m[8..], 0);
        int p = 12;
        foreach (var label in name.Split('.'))
        {
            m[p++] = (byte)label.Length;
            p += Encoding.ASCII.GetBytes(label, m[p..]);
        }

        m[p++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(m[p..], 1); // A
        BinaryPrimitives.WriteUInt16BigEndian(m[(p + 2)..], 1); // IN
        p += 4;
        if (!response) return p;
        BinaryPrimitives.WriteUInt16BigEndian(m[p..], 0xC00C); // pointer to the question name
        BinaryPrimitives.WriteUInt16BigEndian(m[(p + 2)..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(m[(p + 4)..], 1);
        BinaryPrimitives.WriteUInt32BigEndian(m[(p + 6)..], 300);
        BinaryPrimitives.WriteUInt16BigEndian(m[(p + 10)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(m[(p + 12)..], answer);
        return p + 16;
    }

    /// <summary>A TLS 1.2/1.3 ClientHello record with an SNI extension.</summary>
    private static byte[] ClientHello(string sni, Random rng)
    {
        var host = Encoding.ASCII.GetBytes(sni);
        var body = new List<byte>();
        body.AddRange([0x03, 0x03]);
        var random = new byte[32];
        rng.NextBytes(random);
        body.AddRange(random);
        body.Add(0); // no session id
        ushort[] suites = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030];
        AddU16(body, suites.Length * 2);
        foreach (var s in suites) AddU16(body, s);
        body.AddRange([1, 0]); // compression: null
        var ext = new List<byte>();
        // server_name
        AddU16(ext, 0);
        AddU16(ext, host.Length + 5);
        AddU16(ext, host.Length + 3);
        ext.Add(0);
        AddU16(ext, host.Length);
        ext.AddRange(host);
        // supported_groups
        AddU16(ext, 10);
        AddU16(ext, 8);
        AddU16(ext, 6);
        AddU16(ext, 0x001D);
        AddU16(ext, 0x0017);
        AddU16(ext, 0x0018);
        // ec_point_formats
        AddU16(ext, 11);
        AddU16(ext, 2);
        ext.AddRange([1, 0]);
        AddU16(body, ext.Count);
        body.AddRange(ext);

        var hs = new List<byte> { 1, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count };
        hs.AddRange(body);
        var rec = new List<byte> { 0x16, 0x03, 0x01, (byte)(hs.Count >> 8), (byte)hs.Count };
        rec.AddRange(hs);
        return rec.ToArray();
    }

    private static void AddU16(List<byte> b, int v)
    {
        b.Add((byte)(v >> 8));
        b.Add((byte)v);
    }
}

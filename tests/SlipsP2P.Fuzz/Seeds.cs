using System.Buffers.Binary;
using System.Text;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Pcap;
using SlipsP2P.Ingest.Synthetic;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Discovery.Kad;
using SlipsP2P.Libp2p.Discovery.Mdns;
using SlipsP2P.Libp2p.Gossipsub.Rpc;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Multistream;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Protocols.Identify;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Fuzz;

/// <summary>
/// Valid inputs made by the project's own encoders (fresh on every run, so seeds follow the encoders), and the
/// writer of the committed corpus (corpus/&lt;target&gt;/), which also harvests payloads and lines from real inputs.
/// </summary>
public static class Seeds
{
    /// <summary>Seeds for <paramref name="target"/> made by the project's encoders (possibly none).</summary>
    public static List<byte[]> FromEncoders(string target)
    {
        using var key = Ed25519KeyPair.FromSeed(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var peer = key.PeerId;
        var addr = Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001");
        var addr6 = Multiaddr.Parse("/ip6/::1/tcp/4001/p2p/" + peer);
        var seeds = new List<byte[]>();
        switch (target)
        {
            case "multiaddr":
                seeds.Add(addr.ToByteArray());
                seeds.Add(addr6.ToByteArray());
                seeds.Add(Multiaddr.Parse("/dns4/example.com/tcp/443").ToByteArray());
                break;
            case "multiaddr-text":
                seeds.Add(Encoding.UTF8.GetBytes(addr6.ToString()));
                seeds.Add("/dns6/example.com/tcp/1/p2p/"u8.ToArray().Concat(Encoding.UTF8.GetBytes(peer.ToString())).ToArray());
                break;
            case "varint":
                {
                    var buffer = new byte[64];
                    int n = 0;
                    foreach (ulong v in new ulong[] { 0, 1, 127, 128, 300, 16384, uint.MaxValue, long.MaxValue }) n += Varint.Write(v, buffer.AsSpan(n));
                    seeds.Add(buffer[..n]);
                    break;
                }

            case "protobuf":
            case "peerid":
                seeds.Add(peer.ToByteArray());
                seeds.Add(key.PublicKey.ToProtobuf());
                seeds.Add(key.ExportPrivateKey());
                if (target == "peerid") seeds.Add(Encoding.UTF8.GetBytes(peer.ToString()));
                else seeds.Add(Identify(key, addr));
                break;
            case "multistream":
                {
                    var w = new System.Buffers.ArrayBufferWriter<byte>();
                    foreach (string m in new[] { MultistreamSelect.ProtocolId, NoiseSecureChannel.ProtocolId, "/yamux/1.0.0", "na", "ls" }) MultistreamMessage.Write(m, w);
                    seeds.Add(w.WrittenSpan.ToArray());
                    break;
                }

            case "noise-payload":
                seeds.Add(new NoiseHandshakePayload(key.PublicKey.ToProtobuf(), key.Sign("noise-libp2p-static-key:"u8), ["/yamux/1.0.0"]).Encode());
                break;
            case "noise-handshake":
                seeds.Add(NoiseMessage2(key));
                break;
            case "noise-transport":
                {
                    using var cipher = new NoiseCipherState();
                    cipher.InitializeKey(Enumerable.Repeat((byte)0x42, 32).ToArray());
                    var frames = new List<byte>();
                    foreach (string text in new[] { "hello", "", "/multistream/1.0.0\n" })
                    {
                        var ct = new byte[text.Length + NoiseCipherState.TagLength];
                        cipher.Encrypt([], Encoding.UTF8.GetBytes(text), ct);
                        frames.Add((byte)(ct.Length >> 8));
                        frames.Add((byte)ct.Length);
                        frames.AddRange(ct);
                    }

                    seeds.Add([.. frames]);
                    break;
                }

            case "yamux":
                {
                    var frames = new byte[3 * YamuxHeader.Size + 5];
                    new YamuxHeader(YamuxFrameType.Data, YamuxFlags.Syn, 1, 5).Write(frames);
                    "hello"u8.CopyTo(frames.AsSpan(YamuxHeader.Size));
                    new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Ack, 2, 256 * 1024).Write(frames.AsSpan(YamuxHeader.Size + 5));
                    new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, 0).Write(frames.AsSpan(2 * YamuxHeader.Size + 5));
                    seeds.Add(frames);
                    break;
                }

            case "gossipsub":
                seeds.Add(GossipFrame(peer));
                break;
            case "identify":
                seeds.Add(Identify(key, addr));
                break;
            case "kad":
                {
                    var m = new KadMessage { Type = KadMessageType.FindNode, Key = peer.ToByteArray() };
                    m.CloserPeers.Add(new KadPeer(peer, [addr, addr6], KadConnectionType.Connected));
                    seeds.Add(m.ToArray());
                    break;
                }

            case "tls":
                seeds.Add(ClientHello("example.com"));
                break;
            case "peer-record":
                seeds.Add(SignedPeerRecord.Seal(key, 1, [addr, addr6]));
                break;
            case "mdns":
                seeds.Add(MdnsMessages.CreateQuery().ToArray());
                seeds.Add(MdnsMessages.CreateResponse("abcdefghijklmnopqrstuvwxyz012345", [addr6]).ToArray());
                break;
            case "packet":
                foreach (var frame in Frames()) seeds.Add([(byte)0, .. frame]); // link type index 0 = Ethernet
                break;
            case "pcap":
                {
                    using var ms = new MemoryStream();
                    using (var writer = new PcapWriter(ms))
                    {
                        long ts = 1_700_000_000_000_000;
                        foreach (var frame in Frames()) writer.Write(ts += 1000, frame);
                    }

                    seeds.Add(ms.ToArray());
                    seeds.Add(PcapNg(Frames()));
                    break;
                }

            default:
                break;
        }

        return seeds;
    }

    /// <summary>
    /// Writes the committed corpus: encoder seeds plus what <paramref name="inputs"/> (captures, Zeek logs, binetflow,
    /// eve.json files) yield: payloads by port for dns/tls/http/ssh, and the first lines of flow files.
    /// </summary>
    public static void WriteCorpus(string directory, IReadOnlyList<string> inputs, TextWriter log)
    {
        var byTarget = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal);
        foreach (var t in FuzzTargets.All) byTarget[t.Name] = FromEncoders(t.Name);
        foreach (string path in inputs) Harvest(path, byTarget);
        foreach (var (target, seeds) in byTarget)
        {
            string dir = Path.Combine(directory, target);
            Directory.CreateDirectory(dir);
            int i = 0;
            foreach (var seed in seeds) File.WriteAllBytes(Path.Combine(dir, $"seed-{i++:D3}"), seed);
            log.WriteLine($"{target}: {seeds.Count} seeds");
        }
    }

    private static void Harvest(string path, Dictionary<string, List<byte[]>> byTarget)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".pcap", StringComparison.Ordinal) || name.EndsWith(".pcapng", StringComparison.Ordinal))
        {
            HarvestPayloads(path, byTarget);
            return;
        }

        // Flow files: the header and the first lines, small enough to commit.
        var lines = File.ReadLines(path).Take(12).ToList();
        byte[] text = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        if (name.EndsWith(".binetflow", StringComparison.Ordinal)) byTarget["argus"].Add(text);
        else if (name.EndsWith(".json", StringComparison.Ordinal) && !name.EndsWith(".log", StringComparison.Ordinal)) byTarget["suricata"].Add(text);
        else byTarget["zeek"].Add([(byte)0, .. text]);
    }

    private static void HarvestPayloads(string path, Dictionary<string, List<byte[]>> byTarget)
    {
        const int PerKind = 4;
        using var reader = CaptureReader.Open(path);
        var frame = default(CapturedFrame);
        var packet = default(DecodedPacket);
        int packets = 0;
        ReadResult r;
        while ((r = reader.Read(ref frame)) != ReadResult.End && packets++ < 200_000)
        {
            if (r != ReadResult.Packet || PacketDecoder.Decode(frame.LinkType, frame.Data, ref packet) != DecodeStatus.Ip || packet.Payload.IsEmpty) continue;
            int port = Math.Min(packet.SourcePort, packet.DestinationPort);
            string? kind = port switch
            {
                53 => "dns",
                443 when packet.Payload[0] == 0x16 => "tls",
                80 => "http",
                22 => "ssh",
                _ => null,
            };
            if (kind is null || byTarget[kind].Count >= PerKind) continue;
            byTarget[kind].Add(packet.Payload.ToArray());
            int link = Array.IndexOf(s_packetLinkTypes, frame.LinkType);
            if (link >= 0 && byTarget["packet"].Count < 12) byTarget["packet"].Add([(byte)link, .. frame.Data]);
        }
    }

    private static readonly int[] s_packetLinkTypes = [LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll];

    private static byte[] Identify(Ed25519KeyPair key, Multiaddr addr) => new IdentifyMessage
    {
        ProtocolVersion = "ipfs/0.1.0",
        AgentVersion = "slips-p2p/fuzz",
        PublicKey = key.PublicKey.ToProtobuf(),
        ListenAddrs = [addr.ToByteArray()],
        ObservedAddr = addr.ToByteArray(),
        Protocols = ["/ipfs/id/1.0.0", "/meshsub/1.1.0"],
    }.Encode();

    private static byte[] GossipFrame(PeerId peer)
    {
        var rpc = new PubsubRpc();
        rpc.Subscriptions.Add(new SubOpts { Subscribe = true, Topic = "slips/reputation/1" });
        rpc.Publish.Add(new PubsubMessage { From = peer.ToByteArray(), Data = "hello"u8.ToArray(), Seqno = new byte[8], Topic = "slips/reputation/1", Signature = new byte[64] });
        var control = new ControlMessage();
        var ihave = new ControlIHave { TopicId = "slips/reputation/1" };
        ihave.MessageIds.Add(new byte[20]);
        control.IHave.Add(ihave);
        control.Graft.Add(new ControlGraft { TopicId = "slips/reputation/1" });
        var prune = new ControlPrune { TopicId = "slips/reputation/1", Backoff = 60 };
        prune.Peers.Add(new PeerInfo { PeerId = peer.ToByteArray(), SignedPeerRecord = [1, 2, 3] });
        control.Prune.Add(prune);
        rpc.Control = control;
        var frame = new byte[rpc.GetSerializedLength() + 10];
        int n = RpcFraming.WriteFrame(rpc, frame);
        return frame[..n];
    }

    private static byte[] NoiseMessage2(Ed25519KeyPair key)
    {
        // The responder's answer to the initiator's message 1 made with the target's fixed keys.
        using var iS = NoiseKeyPair.FromPrivateKey(Enumerable.Repeat((byte)0x07, 32).ToArray());
        using var iE = NoiseKeyPair.FromPrivateKey(Enumerable.Repeat((byte)0x11, 32).ToArray());
        using var rS = NoiseKeyPair.FromPrivateKey(Enumerable.Repeat((byte)0x21, 32).ToArray());
        using var rE = NoiseKeyPair.FromPrivateKey(Enumerable.Repeat((byte)0x31, 32).ToArray());
        using var initiator = new NoiseHandshakeState(true, [], iS, iE);
        using var responder = new NoiseHandshakeState(false, [], rS, rE);
        responder.ReadMessage(initiator.WriteMessage([]));
        var payload = new NoiseHandshakePayload(key.PublicKey.ToProtobuf(), key.Sign(rS.PublicKey), []).Encode();
        return responder.WriteMessage(payload);
    }

    private static List<byte[]> Frames()
    {
        // A few packets of the project's own traffic generator, read back as Ethernet frames.
        var generated = new MemoryStream();
        TrafficGenerator.Generate(generated, new TrafficGeneratorOptions { Seed = 7, TargetPackets = 24, VerticalScanPorts = 4, HorizontalScanHosts = 4 });
        using var ms = new MemoryStream(generated.ToArray(), writable: false); // the generator closes its output
        using var reader = CaptureReader.Open(ms, "generated.pcap");
        var frames = new List<byte[]>();
        var frame = default(CapturedFrame);
        ReadResult r;
        while ((r = reader.Read(ref frame)) != ReadResult.End && frames.Count < 24)
        {
            if (r == ReadResult.Packet) frames.Add(frame.Data.ToArray());
        }

        return frames;
    }

    private static byte[] ClientHello(string serverName)
    {
        // RFC 8446 §4.1.2 ClientHello in a TLS 1.0 record: 2 cipher suites, null compression, SNI, supported groups, ALPN.
        byte[] name = Encoding.ASCII.GetBytes(serverName);
        var ext = new List<byte>();
        void U16(List<byte> l, int v)
        {
            l.Add((byte)(v >> 8));
            l.Add((byte)v);
        }

        U16(ext, 0); U16(ext, name.Length + 5); U16(ext, name.Length + 3); ext.Add(0); U16(ext, name.Length); ext.AddRange(name);
        U16(ext, 10); U16(ext, 6); U16(ext, 4); U16(ext, 0x001D); U16(ext, 0x0017);
        U16(ext, 16); U16(ext, 5); U16(ext, 3); ext.Add(2); ext.AddRange("h2"u8.ToArray());
        var body = new List<byte> { 0x03, 0x03 };
        body.AddRange(Enumerable.Range(0, 32).Select(i => (byte)i));
        body.Add(0);
        U16(body, 4); U16(body, 0x1301); U16(body, 0xC02F);
        body.Add(1); body.Add(0);
        U16(body, ext.Count); body.AddRange(ext);
        var record = new List<byte> { 0x16, 0x03, 0x01 };
        U16(record, body.Count + 4);
        record.Add(1); record.Add(0); U16(record, body.Count);
        record.AddRange(body);
        return [.. record];
    }

    private static byte[] PcapNg(List<byte[]> frames)
    {
        var ms = new MemoryStream();
        var u32 = new byte[4];
        void U32(uint v)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(u32, v);
            ms.Write(u32);
        }

        // Section header block: type, length, byte-order magic, version 1.0, section length -1.
        foreach (uint v in new uint[] { 0x0A0D0D0A, 28, 0x1A2B3C4D, 0x00000001, 0xFFFFFFFF, 0xFFFFFFFF, 28 }) U32(v);
        // Interface description block: Ethernet, snap length 65535.
        foreach (uint v in new uint[] { 1, 20, 1, 65535, 20 }) U32(v);
        uint ts = 0;
        foreach (var f in frames)
        {
            int padded = (f.Length + 3) & ~3;
            uint total = (uint)(32 + padded);
            ts += 1000;
            foreach (uint v in new uint[] { 6, total, 0, 0, ts, (uint)f.Length, (uint)f.Length }) U32(v);
            ms.Write(f);
            for (int i = f.Length; i < padded; i++) ms.WriteByte(0);
            U32(total);
        }

        return ms.ToArray();
    }
}

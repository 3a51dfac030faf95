namespace SlipsP2P.Fuzz;

/// <summary>Runs the code under test on one input; returns normally on a result or a documented error.</summary>
/// <remarks>
/// A target catches only the errors its code documents for bad input (<c>InputException</c>, <c>NoiseException</c>,
/// an <c>OperationStatus</c> other than Done ...). Anything else that escapes (IndexOutOfRange, NullReference,
/// InvalidCast, OutOfMemory, Argument*) is a finding: the fuzzer reports it as a crash.
/// </remarks>
public delegate void FuzzAction(ReadOnlySpan<byte> input);

/// <summary>A named fuzz target.</summary>
/// <param name="Name">The name given on the command line and the corpus folder (corpus/&lt;name&gt;/).</param>
/// <param name="Description">What the target feeds its input to.</param>
/// <param name="Run">The target.</param>
public sealed record FuzzTarget(string Name, string Description, FuzzAction Run);

/// <summary>An invariant of the code under test was broken (a round trip differs); a finding, never thrown for bad input.</summary>
public sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException(string message) : base(message) { }

    public FuzzInvariantException(string message, Exception inner) : base(message, inner) { }

    public FuzzInvariantException() { }
}

/// <summary>All targets, by name.</summary>
public static class FuzzTargets
{
    /// <summary>Every target, in a stable order.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("pcap", "a pcap or pcapng file read through CaptureReader, PacketDecoder, the flow table and the DNS/TLS/HTTP/SSH extractors", IngestTargets.Pcap),
        new("packet", "one link-layer frame (first byte picks the link type) decoded and fed to a flow table with application inspection", IngestTargets.Packet),
        new("dns", "a DNS message (Ingest App/DnsMessage)", IngestTargets.Dns),
        new("tls", "a TLS ClientHello/ServerHello record (Ingest App/TlsHello)", IngestTargets.Tls),
        new("http", "an HTTP request or response head (Ingest App/HttpMessage)", IngestTargets.Http),
        new("ssh", "an SSH identification banner (Ingest App/SshBanner)", IngestTargets.Ssh),
        new("zeek", "Zeek log text, TSV with #fields headers or JSON lines (ZeekLogSource over a stream)", IngestTargets.Zeek),
        new("argus", "Argus binetflow CSV lines with the default header (ArgusSource over a stream)", IngestTargets.Argus),
        new("suricata", "Suricata eve.json lines (SuricataSource over a stream)", IngestTargets.Suricata),
        new("multiaddr", "a binary multiaddr (decode, then text round trip)", Libp2pTargets.MultiaddrBinary),
        new("multiaddr-text", "a multiaddr in text form (parse, then binary round trip)", Libp2pTargets.MultiaddrText),
        new("varint", "unsigned varints over a span and over a segmented sequence (must agree; round trip)", Libp2pTargets.Varint),
        new("protobuf", "protobuf fields read with ProtoReader, nested length-delimited fields read again", Libp2pTargets.Protobuf),
        new("peerid", "a peer id multihash, its text forms, a public key and a private key protobuf", Libp2pTargets.PeerIdAndKeys),
        new("multistream", "multistream-select messages (varint length, body, newline) over a segmented sequence", Libp2pTargets.Multistream),
        new("noise-payload", "the libp2p Noise handshake payload protobuf", Libp2pTargets.NoisePayload),
        new("noise-handshake", "Noise XX message 2 read by an initiator after its message 1", Libp2pTargets.NoiseHandshake),
        new("noise-transport", "Noise transport frames (2-byte length) decrypted with a fixed key", Libp2pTargets.NoiseTransport),
        new("yamux", "yamux frame headers and frames over a segmented sequence", Libp2pTargets.Yamux),
        new("gossipsub", "length-prefixed gossipsub RPCs (frames, RPC, messages, control, PX peers; round trip)", Libp2pTargets.Gossipsub),
        new("identify", "an identify message protobuf", Libp2pTargets.Identify),
        new("kad", "a Kademlia DHT message protobuf", Libp2pTargets.Kad),
        new("peer-record", "a signed peer record envelope (RFC 0002/0003) as carried by gossipsub PX", Libp2pTargets.PeerRecord),
        new("mdns", "an mDNS packet (DnsMessage) and the peer addresses extracted from it", Libp2pTargets.Mdns),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name)
    {
        foreach (var t in All)
        {
            if (string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)) return t;
        }

        return null;
    }
}

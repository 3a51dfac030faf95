using System.Buffers;
using SlipsP2P.Core;
using SlipsP2P.Ingest.App;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Pcap;

namespace SlipsP2P.Fuzz;

/// <summary>Targets for SlipsP2P.Ingest: captures, packets, application parsers and flow files.</summary>
public static class IngestTargets
{
    // The link types the "packet" target picks from with its first byte (all PacketDecoder knows, plus one it does not).
    private static readonly int[] s_linkTypes =
    [
        LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null, LinkType.Loop,
        LinkType.Ipv4, LinkType.Ipv6, LinkType.RawBsd12, LinkType.RawBsd14, 147,
    ];

    private static readonly ZeekLogKind[] s_zeekKinds = Enum.GetValues<ZeekLogKind>();

    /// <summary>A whole capture file: the documented error is <see cref="InputException"/> (not a capture).</summary>
    public static void Pcap(ReadOnlySpan<byte> input)
    {
        using var stream = new MemoryStream(input.ToArray(), writable: false);
        try
        {
            using var source = PcapSource.FromStream(stream, new AnalysisOptions(), "fuzz.pcap");
            source.Run(new TouchingSink(), CancellationToken.None);
        }
        catch (InputException)
        {
            // Documented: the bytes are not a readable capture.
        }
    }

    /// <summary>One frame; byte 0 picks the link type. Decoded packets go through a flow table with inspection on.</summary>
    public static void Packet(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        int linkType = s_linkTypes[input[0] % s_linkTypes.Length];
        var frame = input[1..];
        var packet = default(DecodedPacket);
        var status = PacketDecoder.Decode(linkType, frame, ref packet);
        if (status != DecodeStatus.Ip) return;
        var table = new FlowTable(new AnalysisOptions(), new TouchingSink(), inspectApplications: true);
        // The same packet twice, then its mirror, so that both directions of the application parsers see the payload.
        table.Process(ref packet, 1_700_000_000, 1);
        table.Process(ref packet, 1_700_000_000.5, 2);
        (packet.Source, packet.Destination) = (packet.Destination, packet.Source);
        (packet.SourcePort, packet.DestinationPort) = (packet.DestinationPort, packet.SourcePort);
        table.Process(ref packet, 1_700_000_001, 3);
        table.Flush();
    }

    /// <summary>A DNS message: a result or an <see cref="OperationStatus"/> other than Done.</summary>
    public static void Dns(ReadOnlySpan<byte> input)
    {
        if (DnsMessage.TryRead(input, out var message, out int consumed) != OperationStatus.Done) return;
        if (message is null || consumed < 0 || consumed > input.Length) throw new FuzzInvariantException($"DnsMessage.TryRead said Done with consumed={consumed}");
    }

    /// <summary>A TLS record holding a ClientHello or ServerHello.</summary>
    public static void Tls(ReadOnlySpan<byte> input)
    {
        if (TlsHello.TryRead(input, out var hello, out int consumed) != OperationStatus.Done) return;
        if (hello is null || consumed <= 0 || consumed > input.Length) throw new FuzzInvariantException($"TlsHello.TryRead said Done with consumed={consumed}");
    }

    /// <summary>An HTTP head: a message or null.</summary>
    public static void Http(ReadOnlySpan<byte> input) => HttpMessage.TryParse(input);

    /// <summary>An SSH banner: the version string or null.</summary>
    public static void Ssh(ReadOnlySpan<byte> input) => SshBanner.TryRead(input);

    /// <summary>Zeek log text from a stream of unknown kind (the reader tells TSV from JSON).</summary>
    public static void Zeek(ReadOnlySpan<byte> input)
    {
        // Byte 0 picks the log kind a file name would have given (conn.log, dns.log ...); Unknown lets the header decide.
        var kind = input.IsEmpty ? ZeekLogKind.Unknown : s_zeekKinds[input[0] % s_zeekKinds.Length];
        RunSource(input.IsEmpty ? input : input[1..], s => new ZeekLogSource(s, "fuzz.log", kind, maxLineLength: 64 * 1024));
    }

    /// <summary>Argus binetflow lines under the default header.</summary>
    public static void Argus(ReadOnlySpan<byte> input) => RunSource(input, s => new ArgusSource(s, "fuzz.binetflow", null, maxLineLength: 64 * 1024));

    /// <summary>Suricata eve.json lines.</summary>
    public static void Suricata(ReadOnlySpan<byte> input) => RunSource(input, s => new SuricataSource(s, "fuzz.json", maxLineLength: 64 * 1024));

    private static void RunSource(ReadOnlySpan<byte> input, Func<Stream, IEventSource> open)
    {
        var stream = new MemoryStream(input.ToArray(), writable: false);
        try
        {
            using var source = open(stream);
            source.Run(new TouchingSink(), CancellationToken.None);
        }
        catch (InputException)
        {
            // Documented: the input as a whole cannot be read (a bad header, not one bad line).
        }
    }

    /// <summary>Formats every record so that lazily built strings are built too.</summary>
    private sealed class TouchingSink : IEventSink
    {
        public long Count { get; private set; }

        public void OnEvent(NetEvent record)
        {
            ArgumentNullException.ThrowIfNull(record);
            Count++;
            _ = record.ToString();
        }
    }
}

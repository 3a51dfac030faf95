using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Workers;

namespace SlipsP2P.Ingest.Pcap;

/// <summary>
/// A pcap or pcapng capture as an <see cref="IEventSource"/>: packets are decoded, assembled into Zeek-like flows
/// and application records (DNS, HTTP, TLS, SSH) and ARP records, and pushed to the sink in the order they finish.
/// </summary>
/// <remarks>
/// Stats: <see cref="IngestStats.Packets"/> packets read, <see cref="IngestStats.Bytes"/> bytes of the file
/// consumed, <see cref="IngestStats.Flows"/> flows emitted, <see cref="IngestStats.Records"/> every record emitted
/// (flows, application records and ARP), <see cref="IngestStats.Skipped"/> packets that could not be read or decoded
/// (with "file: packet N: ..." messages).
/// </remarks>
public sealed class PcapSource : IEventSource
{
    private readonly AnalysisOptions _options;
    private readonly Func<CaptureReader> _open;
    private CaptureReader? _reader;
    private readonly CaptureFormat _format;

    /// <summary>Opens a capture file; throws <see cref="InputException"/> when it is not a readable capture.</summary>
    public PcapSource(string path, AnalysisOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Name = path;
        _reader = CaptureReader.Open(path);
        _format = _reader.Format;
        _open = () => CaptureReader.Open(path);
    }

    private PcapSource(Stream stream, string name, AnalysisOptions options)
    {
        _options = options;
        Name = name;
        _reader = CaptureReader.Open(stream, name);
        _format = _reader.Format;
        _open = () => throw new InputException($"{name}: a stream can be read only once");
    }

    /// <summary>Reads a capture from a stream, such as standard input (name "-").</summary>
    public static PcapSource FromStream(Stream stream, AnalysisOptions options, string name = "-")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        return new PcapSource(stream, name, options);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Kind => _format == CaptureFormat.PcapNg ? "pcapng" : "pcap";

    /// <inheritdoc />
    public IngestStats Stats { get; } = new();

    /// <summary>Whether DNS, HTTP, TLS and SSH records are produced (on by default).</summary>
    public bool InspectApplications { get; init; } = true;

    /// <summary>Whether flow records carry their Community ID and AID (on by default; see <see cref="FlowTable.ComputeFlowIds"/>).</summary>
    public bool ComputeFlowIds { get; set; } = true;

    /// <summary>Whether DNS records carry their answers' TTLs (on by default; see <see cref="FlowTable.KeepDnsTtls"/>).</summary>
    public bool KeepDnsTtls { get; set; } = true;

    /// <summary>
    /// Flow-table workers (default <see cref="AnalysisOptions.Workers"/>). With more than one, a reader thread splits the
    /// packets over the workers by <see cref="Workers.SymmetricFlowHash"/> and the records are merged back into the
    /// order one table gives, so the records (and the alerts made from them) are the same for any count.
    /// </summary>
    public int Workers { get; set; }

    /// <inheritdoc />
    public void Run(IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        CaptureReader reader = _reader ?? _open();
        _reader = null; // a second Run reads the file again from the start
        var counting = new CountingSink(sink, Stats);
        int workers = Workers > 0 ? Workers : Math.Max(1, _options.Workers);
        try
        {
            if (workers > 1)
            {
                Stats.Flows = ParallelCapture.Run(reader, _options, workers, InspectApplications, ComputeFlowIds, Stats, counting, cancellationToken);
                return;
            }

            // The same uids and order as the workers give (PacketNumberIdentity), so that any count gives the same records.
            var table = new FlowTable(_options, counting, InspectApplications) { ComputeFlowIds = ComputeFlowIds, KeepDnsTtls = KeepDnsTtls, PacketNumberIdentity = true };
            var handler = new TableHandler(table, counting);
            try
            {
                ReadFrames(reader, Stats, ref handler, cancellationToken);
                table.Flush();
            }
            finally
            {
                Stats.Flows = table.FlowsEmitted;
            }
        }
        finally
        {
            Stats.Bytes = reader.BytesRead;
            reader.Dispose();
        }
    }

    /// <summary>
    /// The read loop shared by one table and the workers' reader: reads every frame, counts it, decodes it and hands
    /// it to <paramref name="handler"/> by what it is; unreadable records and headers become skip messages.
    /// </summary>
    internal static void ReadFrames<THandler>(CaptureReader reader, IngestStats stats, ref THandler handler, CancellationToken cancellationToken)
        where THandler : struct, IFrameHandler
    {
        var frame = default(CapturedFrame);
        var packet = default(DecodedPacket);
        while (true)
        {
            ReadResult r = reader.Read(ref frame);
            if (r == ReadResult.End) break;
            if (r == ReadResult.Skipped)
            {
                stats.Skip(reader.LastMessage);
                continue;
            }

            stats.Packets++;
            if ((stats.Packets & 0x3FFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stats.Bytes = reader.BytesRead;
            }

            DecodeStatus status = PacketDecoder.Decode(frame.LinkType, frame.Data, ref packet);
            switch (status)
            {
                case DecodeStatus.Ip:
                    handler.OnIp(ref packet, ref frame);
                    break;
                case DecodeStatus.Arp:
                    handler.OnArp(ref packet, ref frame);
                    break;
                case DecodeStatus.Truncated:
                    handler.OnOther(ref frame);
                    stats.Skip($"{reader.Name}: packet {frame.Number}: truncated headers ({frame.Data.Length} bytes captured, link type {frame.LinkType})");
                    break;
                case DecodeStatus.Malformed:
                    handler.OnOther(ref frame);
                    stats.Skip($"{reader.Name}: packet {frame.Number}: malformed headers (link type {frame.LinkType})");
                    break;
                default:
                    // Not IP, or a non-first fragment: nothing to account, but the clock moves on.
                    handler.OnOther(ref frame);
                    break;
            }
        }
    }

    /// <summary>The ARP record of a decoded ARP packet.</summary>
    internal static ArpRecord ArpRecordOf(ref DecodedPacket packet, double timestamp, long number) => new()
    {
        Timestamp = timestamp,
        Source = packet.Source,
        Destination = packet.Destination,
        Operation = packet.ArpOperation,
        SourceMac = DecodedPacket.FormatMac(packet.ArpSenderMac),
        DestinationMac = DecodedPacket.FormatMac(packet.ArpTargetMac),
        SourceLine = number,
    };

    public void Dispose()
    {
        _reader?.Dispose();
        _reader = null;
    }

    /// <summary>One flow table on the reading thread.</summary>
    private readonly struct TableHandler(FlowTable table, IEventSink sink) : IFrameHandler
    {
        public void OnIp(ref DecodedPacket packet, ref CapturedFrame frame) => table.Process(ref packet, frame.Timestamp, frame.Number);

        public void OnArp(ref DecodedPacket packet, ref CapturedFrame frame)
        {
            table.Advance(frame.Timestamp);
            sink.OnEvent(ArpRecordOf(ref packet, frame.Timestamp, frame.Number));
        }

        public void OnOther(ref CapturedFrame frame) => table.Advance(frame.Timestamp);
    }

    private sealed class CountingSink(IEventSink inner, IngestStats stats) : IEventSink
    {
        public void OnEvent(NetEvent record)
        {
            stats.Records++;
            inner.OnEvent(record);
        }

        public void Prefetch(NetEvent record) => inner.Prefetch(record);

        public bool KeepsRecords => inner.KeepsRecords;
    }
}

using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;

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

    /// <inheritdoc />
    public void Run(IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        CaptureReader reader = _reader ?? _open();
        _reader = null; // a second Run reads the file again from the start
        var counting = new CountingSink(sink, Stats);
        var table = new FlowTable(_options, counting, InspectApplications) { ComputeFlowIds = ComputeFlowIds };
        var frame = default(CapturedFrame);
        var packet = default(DecodedPacket);
        try
        {
            while (true)
            {
                ReadResult r = reader.Read(ref frame);
                if (r == ReadResult.End) break;
                if (r == ReadResult.Skipped)
                {
                    Stats.Skip(reader.LastMessage);
                    continue;
                }

                Stats.Packets++;
                if ((Stats.Packets & 0x3FFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Stats.Bytes = reader.BytesRead;
                }

                DecodeStatus status = PacketDecoder.Decode(frame.LinkType, frame.Data, ref packet);
                switch (status)
                {
                    case DecodeStatus.Ip:
                        table.Process(ref packet, frame.Timestamp, frame.Number);
                        break;
                    case DecodeStatus.Arp:
                        table.Advance(frame.Timestamp);
                        counting.OnEvent(new ArpRecord
                        {
                            Timestamp = frame.Timestamp,
                            Source = packet.Source,
                            Destination = packet.Destination,
                            Operation = packet.ArpOperation,
                            SourceMac = DecodedPacket.FormatMac(packet.ArpSenderMac),
                            DestinationMac = DecodedPacket.FormatMac(packet.ArpTargetMac),
                            SourceLine = frame.Number,
                        });
                        break;
                    case DecodeStatus.Truncated:
                        table.Advance(frame.Timestamp);
                        Stats.Skip($"{Name}: packet {frame.Number}: truncated headers ({frame.Data.Length} bytes captured, link type {frame.LinkType})");
                        break;
                    case DecodeStatus.Malformed:
                        table.Advance(frame.Timestamp);
                        Stats.Skip($"{Name}: packet {frame.Number}: malformed headers (link type {frame.LinkType})");
                        break;
                    default:
                        // Not IP, or a non-first fragment: nothing to account, but the clock moves on.
                        table.Advance(frame.Timestamp);
                        break;
                }
            }

            table.Flush();
        }
        finally
        {
            Stats.Bytes = reader.BytesRead;
            Stats.Flows = table.FlowsEmitted;
            reader.Dispose();
        }
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _reader = null;
    }

    private sealed class CountingSink(IEventSink inner, IngestStats stats) : IEventSink
    {
        public void OnEvent(NetEvent record)
        {
            stats.Records++;
            inner.OnEvent(record);
        }
    }
}

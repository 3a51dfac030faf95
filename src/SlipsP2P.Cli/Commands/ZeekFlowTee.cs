using SlipsP2P.Core;
using SlipsP2P.Ingest;
using SlipsP2P.Output.Zeek;

namespace SlipsP2P.Cli.Commands;

/// <summary>For <c>--write-flows</c>: writes flows and DNS records as Zeek logs, then passes every record on.</summary>
internal sealed class ZeekFlowTee : IEventSink, IDisposable
{
    private readonly ZeekLogWriter _writer;
    private readonly IEventSink _next;

    public ZeekFlowTee(string directory, IEventSink next)
    {
        _writer = new ZeekLogWriter(directory);
        _next = next;
    }

    public void OnEvent(NetEvent record)
    {
        if (record is FlowRecord flow)
        {
            // Flow files rarely carry these; the anonymizer blanks them: compute them from the tuple as it is now.
            byte proto = flow.ProtocolNumber != 0 ? flow.ProtocolNumber : (byte)flow.Protocol;
            if (flow.CommunityId.Length == 0 && flow.Protocol != Protocol.Arp)
            {
                flow.CommunityId = CommunityId.Compute(flow.Source, flow.Destination, flow.SourcePort, flow.DestinationPort, proto);
            }

            if (flow.Aid.Length == 0 && flow.Protocol is Protocol.Tcp or Protocol.Udp or Protocol.Icmp or Protocol.Icmp6)
            {
                flow.Aid = Aid.Compute(flow.Timestamp, flow.Source, flow.Destination, flow.SourcePort, flow.DestinationPort, proto);
            }
        }

        _writer.TryWrite(record);
        _next.OnEvent(record);
    }

    public void Prefetch(NetEvent record) => _next.Prefetch(record);

    /// <summary>The logs are written before the record is passed on: only the next sink may keep it.</summary>
    public bool KeepsRecords => _next.KeepsRecords;

    public void Dispose() => _writer.Dispose();
}

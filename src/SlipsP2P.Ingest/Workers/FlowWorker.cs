using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Pcap;

namespace SlipsP2P.Ingest.Workers;

/// <summary>
/// One flow-table worker: owns a <see cref="FlowTable"/> for the flows that hash to it, and tags everything the
/// table emits with the key that merges it back into the single-table order (see <see cref="TaggedRecord"/>).
/// Only its own thread touches it.
/// </summary>
internal sealed class FlowWorker : IEventSink, IFlowFinishObserver
{
    private readonly FlowTable _table;
    private List<TaggedRecord> _output = new();
    private long _sequence;
    private byte _phase;
    private double _finishTime;
    private double _start;
    private long _firstPacket;
    private int _index;
    private bool _seeded;

    public FlowWorker(AnalysisOptions options, bool inspectApplications, bool computeFlowIds)
    {
        _table = new FlowTable(options, this, inspectApplications)
        {
            ComputeFlowIds = computeFlowIds,
            PacketNumberIdentity = true,
            ExternalClock = true,
            FinishObserver = this,
        };
    }

    public FlowTable Table => _table;

    /// <summary>Runs one batch: its packets, sweeps and flush in packet order; the records go to the batch's output.</summary>
    public void Process(WorkerBatch batch)
    {
        _output = batch.Output;
        if (!_seeded && batch.Group.HasSeed)
        {
            _table.SeedUids(batch.Group.UidSeed);
            _seeded = true;
        }

        var packet = default(DecodedPacket);
        foreach (ref readonly BatchEntry e in batch.Entries)
        {
            switch (e.Kind)
            {
                case BatchEntryKind.Packet:
                    Begin(e.Sequence, TaggedRecord.PacketPhase);
                    DecodeStatus status = PacketDecoder.Decode(e.LinkType, batch.Frame(in e), ref packet);
                    if (status == DecodeStatus.Ip) _table.Process(ref packet, e.Timestamp, e.Sequence);
                    else if (status == DecodeStatus.Arp) OnEvent(PcapSource.ArpRecordOf(ref packet, e.Timestamp, e.Sequence));
                    break;
                case BatchEntryKind.Sweep:
                    Begin(e.Sequence, TaggedRecord.SweepPhase);
                    _table.SweepAt(e.Timestamp);
                    break;
                case BatchEntryKind.Flush:
                    Begin(long.MaxValue, TaggedRecord.SweepPhase);
                    _table.Flush();
                    break;
            }
        }
    }

    public void BeforeFinish(double finishTime, double start, long firstPacket)
    {
        _finishTime = finishTime;
        _start = start;
        _firstPacket = firstPacket;
        _index = 0;
    }

    public void OnEvent(NetEvent record) =>
        _output.Add(new TaggedRecord(_sequence, _phase, _finishTime, _start, _firstPacket, _index++, record));

    private void Begin(long sequence, byte phase)
    {
        _sequence = sequence;
        _phase = phase;
        _finishTime = 0;
        _start = 0;
        _firstPacket = 0;
        _index = 0;
    }
}

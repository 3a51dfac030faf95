using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Workers;

/// <summary>
/// A record a worker emitted, with the key that puts it where the single flow table would have emitted it:
/// <list type="bullet">
/// <item>the global packet number at which it was emitted (the packet whose clock triggered a sweep, the packet
/// that produced it inline, or <see cref="long.MaxValue"/> for the end-of-input flush);</item>
/// <item>the phase: sweeps (0) come before the packet's own records (1), as the table sweeps before it processes a packet;</item>
/// <item>within a sweep the flow's finish time, start and first packet (the table's sweep order);</item>
/// <item>the record's index within its flow or packet.</item>
/// </list>
/// Every part of the key is independent of how flows are partitioned, so a merge by it reproduces one table's order.
/// </summary>
internal readonly record struct TaggedRecord(long Sequence, byte Phase, double FinishTime, double Start, long FirstPacket, int Index, NetEvent Record)
{
    public const byte SweepPhase = 0;
    public const byte PacketPhase = 1;

    public static int Compare(in TaggedRecord a, in TaggedRecord b)
    {
        int c = a.Sequence.CompareTo(b.Sequence);
        if (c != 0) return c;
        c = a.Phase.CompareTo(b.Phase);
        if (c != 0) return c;
        c = a.FinishTime.CompareTo(b.FinishTime);
        if (c != 0) return c;
        c = a.Start.CompareTo(b.Start);
        if (c != 0) return c;
        c = a.FirstPacket.CompareTo(b.FirstPacket);
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    }
}

using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Flows;

/// <summary>
/// Where a producer takes the object of each new flow record: one the sink is done with (<see cref="Free"/>, filled
/// only when the sink keeps no records, <see cref="IEventSink.KeepsRecords"/>), reset; else a new one. The flow table
/// keeps one stack of its own; a flow file's reader points at the stack of the block it parses into
/// (<see cref="FlowFiles.LineBlock.FreeFlows"/>), which is the parsing thread's while it parses.
/// </summary>
internal sealed class RecycledFlows
{
    /// <summary>The free records, or null (always new).</summary>
    public Stack<FlowRecord>? Free { get; set; }

    /// <summary>A record as new, with its line set.</summary>
    public FlowRecord Take(long line)
    {
        FlowRecord f;
        if (Free is { Count: > 0 } free)
        {
            f = free.Pop();
            f.Reset();
        }
        else
        {
            f = new FlowRecord();
        }

        f.SourceLine = line;
        return f;
    }
}

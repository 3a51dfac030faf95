using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Where a flow file's reader takes the object of each new flow record: a record of the block it parses into that the
/// sink is done with (<see cref="LineBlock.FreeFlows"/>, filled when the block came back, only when the sink keeps no
/// records), reset; else a new one. One per reader; the block's stack is the parsing thread's while it parses.
/// </summary>
internal sealed class RecycledFlows
{
    /// <summary>The free records of the block being parsed, or null (a serial read: always new).</summary>
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

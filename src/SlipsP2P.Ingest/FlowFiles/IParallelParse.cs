namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// A flow-file source that can parse a file on several threads while the records reach the sink in input order
/// (<see cref="LineBlockPipeline"/>): Zeek logs, Argus binetflow, Suricata eve.json.
/// </summary>
public interface IParallelParse
{
    /// <summary>
    /// Parse threads for a file of at least two blocks (standard input is read on the calling thread); 1 reads on the
    /// calling thread only. Defaults to the processor count.
    /// </summary>
    int ParseThreads { get; set; }
}

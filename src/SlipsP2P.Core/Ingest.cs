namespace SlipsP2P.Core;

/// <summary>Receives records from an input, in input order.</summary>
public interface IEventSink
{
    /// <summary>Called once per record.</summary>
    void OnEvent(NetEvent record);

    /// <summary>
    /// Whether the sink may still read a <see cref="FlowRecord"/> after <see cref="OnEvent"/> returned (it queues
    /// records, hands them to another thread, or collects them). When false the producer may reuse the record's object
    /// for a later flow. Sinks that pass records on answer for the sink after them; the default is true.
    /// </summary>
    bool KeepsRecords => true;

    /// <summary>
    /// A hint that <paramref name="record"/> comes soon (a few records from now): a sink may start loading what it
    /// will read for it, so that its cache misses overlap the records in between. It must not change anything the
    /// record's <see cref="OnEvent"/> will see; the record may still change before it is sent. Sinks that pass records
    /// on pass the hint on too; the default does nothing.
    /// </summary>
    void Prefetch(NetEvent record)
    {
    }
}

/// <summary>An input: a capture, a flow file, a Zeek directory, standard input.</summary>
public interface IEventSource : IDisposable
{
    /// <summary>What the user named (a path or "-"), for messages.</summary>
    string Name { get; }

    /// <summary>The input kind in words ("pcap", "pcapng", "zeek-tsv", "argus", "suricata" ...).</summary>
    string Kind { get; }

    /// <summary>Counters and the messages about skipped records.</summary>
    IngestStats Stats { get; }

    /// <summary>Reads the whole input, pushing each record into <paramref name="sink"/>. Throws
    /// <see cref="InputException"/> when nothing can be read at all.</summary>
    void Run(IEventSink sink, CancellationToken cancellationToken);
}

/// <summary>Thrown when an input cannot be read at all: the message names the file and, where known, the line or packet.</summary>
public sealed class InputException : Exception
{
    public InputException(string message) : base(message) { }

    public InputException(string message, Exception inner) : base(message, inner) { }

    public InputException() { }
}

/// <summary>Counts of what an input produced and skipped, with the first messages about bad records.</summary>
public sealed class IngestStats
{
    /// <summary>Messages kept at most (the count goes on).</summary>
    public const int MaxMessages = 20;

    private readonly List<string> _messages = new();

    /// <summary>Records (lines, events, packets) read.</summary>
    public long Records { get; set; }

    /// <summary>Packets read (captures only).</summary>
    public long Packets { get; set; }

    /// <summary>Bytes read from the input.</summary>
    public long Bytes { get; set; }

    /// <summary>Flows produced.</summary>
    public long Flows { get; set; }

    /// <summary>Records skipped because they were malformed or unsupported.</summary>
    public long Skipped { get; private set; }

    /// <summary>The first <see cref="MaxMessages"/> skip messages.</summary>
    public IReadOnlyList<string> Messages => _messages;

    /// <summary>Counts one skipped record and keeps its message if there is room.</summary>
    public void Skip(string message)
    {
        Skipped++;
        if (_messages.Count < MaxMessages) _messages.Add(message);
    }
}

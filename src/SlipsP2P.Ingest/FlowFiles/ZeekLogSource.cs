using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Zeek logs as an input: one log file (TSV or JSON), a directory of logs, or a stream (standard input). A directory's
/// supported logs (conn, dns, http, ssl, ssh, notice, arp) are merged by timestamp into one stream: each log is
/// already in time order (within Zeek's small reordering), so a k-way merge over their heads suffices.
/// </summary>
public sealed class ZeekLogSource : IEventSource, IParallelParse
{
    private readonly List<(string Path, ZeekLogKind Kind)> _files = new();
    private readonly Stream? _stream;
    private readonly int _maxLineLength;
    private bool _ran;

    /// <summary>Opens a Zeek log file or a directory of Zeek logs.</summary>
    /// <exception cref="InputException">The path does not exist, or a directory holds no supported Zeek log.</exception>
    public ZeekLogSource(string path, int maxLineLength = LineReader.DefaultMaxLineLength)
    {
        ArgumentNullException.ThrowIfNull(path);
        Name = path;
        _maxLineLength = maxLineLength;
        if (Directory.Exists(path))
        {
            var names = new List<string>();
            foreach (string file in Directory.EnumerateFiles(path))
            {
                names.Add(file);
            }

            names.Sort(StringComparer.Ordinal);
            foreach (string file in names)
            {
                var kind = ZeekLogKinds.FromFileName(Path.GetFileName(file));
                if (kind != ZeekLogKind.Unknown) _files.Add((file, kind));
            }

            if (_files.Count == 0)
            {
                throw new InputException($"{path}: the directory holds no Zeek log that can be read (conn.log, dns.log, http.log, ssl.log, ssh.log, notice.log, arp.log)");
            }

            Kind = "zeek-dir";
        }
        else if (File.Exists(path))
        {
            _files.Add((path, ZeekLogKinds.FromFileName(Path.GetFileName(path))));
            Kind = "zeek";
        }
        else
        {
            throw new InputException($"{path}: no such file or directory");
        }
    }

    /// <summary>Reads Zeek log lines (TSV with headers, or JSON) from a stream such as standard input.</summary>
    public ZeekLogSource(Stream stream, string name, ZeekLogKind kind = ZeekLogKind.Unknown, int maxLineLength = LineReader.DefaultMaxLineLength)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        Name = name;
        Kind = "zeek";
        _maxLineLength = maxLineLength;
        _files.Add((name, kind));
    }

    public string Name { get; }

    public string Kind { get; }

    public IngestStats Stats { get; } = new();

    /// <summary>Whether conn lines take the fast path (<see cref="ZeekConnLine"/>); tests compare both.</summary>
    internal bool FastPath { get; set; } = true;

    /// <summary>
    /// Whether conn records keep the log's own community_id and aid texts (the default). Only a written conn.log reads
    /// them; an analysis that writes none turns this off, and each line's two texts are no longer copied.
    /// </summary>
    public bool KeepFlowIds { get; set; } = true;

    /// <summary>
    /// Threads that parse a log file of at least two blocks (a directory's logs each on a pipeline of their own; not
    /// standard input) while the caller takes the records in order (<see cref="LineBlockPipeline"/>); 1 reads on the
    /// calling thread only. Defaults to the processor count.
    /// </summary>
    public int ParseThreads { get; set; } = LineBlockPipeline.DefaultWorkers;

    /// <summary>Bytes per block of the parallel parse; tests make it tiny to cut lines at every place.</summary>
    internal int BlockSize { get; set; } = LineBlockPipeline.DefaultBlockSize;

    /// <summary>Whether the last run took the parallel parse (tests check that their input was big enough).</summary>
    internal bool RanInBlocks { get; private set; }

    /// <summary>The log files that will be read (a single entry for a file or a stream).</summary>
    public IReadOnlyList<string> Files
    {
        get
        {
            var list = new List<string>(_files.Count);
            foreach (var f in _files) list.Add(f.Path);
            return list;
        }
    }

    public void Run(IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_ran) throw new InvalidOperationException("a source can be run once");
        _ran = true;
        var readers = new List<Func<NetEvent?>>(_files.Count);
        var pipelines = new List<LineBlockPipeline>();
        var owned = new List<IDisposable>(_files.Count);
        try
        {
            if (_stream is not null)
            {
                var reader = new ZeekLogReader(_stream, Name, _files[0].Kind, Stats, _maxLineLength) { FastPath = FastPath, KeepFlowIds = KeepFlowIds };
                owned.Add(reader);
                readers.Add(reader.Next);
            }
            else
            {
                // A log of two blocks or more is parsed on the workers (each log of a directory on its own pipeline,
                // the merge below takes their records as it takes a serial reader's); a smaller one on this thread.
                foreach (var (path, kind) in _files)
                {
                    var file = Open(path);
                    if (ParseThreads > 1 && LineBlockPipeline.Worthwhile(file, ParseThreads, BlockSize))
                    {
                        RanInBlocks = true;
                        var pipeline = StartBlocks(file, path, kind, owned, cancellationToken);
                        pipelines.Add(pipeline);
                        readers.Add(() => pipeline.Next(cancellationToken));
                    }
                    else
                    {
                        var reader = new ZeekLogReader(file, path, kind, Stats, _maxLineLength) { FastPath = FastPath, KeepFlowIds = KeepFlowIds };
                        owned.Add(reader);
                        readers.Add(reader.Next);
                    }
                }
            }

            // Every reader's record is sent before that reader is asked for its next one (the merge holds one record
            // per log, and asks a log again only once its record was sent), so a sink that keeps none lets the blocks'
            // flow records be reused.
            foreach (var pipeline in pipelines) pipeline.ReuseRecords = !sink.KeepsRecords;
            if (readers.Count == 1)
            {
                var next = readers[0];
                int n = 0;
                while (next() is { } record)
                {
                    if ((++n & 0x3FF) == 0) cancellationToken.ThrowIfCancellationRequested();
                    sink.OnEvent(record);
                }

                return;
            }

            Merge(readers, sink, cancellationToken);
        }
        finally
        {
            // Pipelines stop and join their threads here, also when the run ends in an error or is cancelled.
            foreach (var o in owned) o.Dispose();
        }
    }

    private LineBlockPipeline StartBlocks(FileStream file, string path, ZeekLogKind kind, List<IDisposable> owned, CancellationToken cancellationToken)
    {
        bool fastPath = FastPath, keepFlowIds = KeepFlowIds;
        int maxLineLength = _maxLineLength;
        var scanner = new ZeekHeaderScanner(path, kind, maxLineLength);
        LineBlockPipeline pipeline;
        try
        {
            pipeline = new LineBlockPipeline(file, Stats, () => new ZeekLogReader(path, kind, maxLineLength) { FastPath = fastPath, KeepFlowIds = keepFlowIds }, scanner, ParseThreads,
                                             BlockSize, maxLineLength, cancellationToken);
        }
        catch
        {
            file.Dispose();
            scanner.Dispose();
            throw;
        }

        owned.Add(pipeline);
        owned.Add(scanner);
        return pipeline;
    }

    private static void Merge(List<Func<NetEvent?>> readers, IEventSink sink, CancellationToken cancellationToken)
    {
        // Heads ordered by (timestamp, log index): ties keep the directory's file order, so the merge is deterministic.
        var heads = new PriorityQueue<(NetEvent Record, int Index), (double, int)>(readers.Count);
        for (int i = 0; i < readers.Count; i++)
        {
            if (readers[i]() is { } first) heads.Enqueue((first, i), (first.Timestamp, i));
        }

        int n = 0;
        while (heads.TryDequeue(out var head, out _))
        {
            if ((++n & 0x3FF) == 0) cancellationToken.ThrowIfCancellationRequested();
            sink.OnEvent(head.Record);
            if (readers[head.Index]() is { } next) heads.Enqueue((next, head.Index), (next.Timestamp, head.Index));
        }
    }

    private static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot be opened: {e.Message}", e);
        }
    }

    public void Dispose() => _stream?.Dispose();
}

using System.Text;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Argus flows as text: a .binetflow file or <c>ra -n -c , -s ...</c> output, comma or tab separated, columns found by
/// their header names (case-insensitive). Times may be calendar times (<c>2013/08/15 15:00:31.123456</c>, taken as
/// UTC) or unix seconds (<c>ra -u</c>); ports may be hexadecimal (<c>0x0303</c>). Established follows Slips' reading
/// of the Argus state (<see cref="SlipsFlowState"/>).
/// </summary>
public sealed class ArgusSource : IEventSource, IParallelParse
{
    /// <summary>Argus' default field list (ra without -s), used when a stream has no header line and none is configured.</summary>
    public const string DefaultHeader = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label";

    private const int MaxFields = 256;

    private readonly string? _path;
    private readonly Stream? _stream;
    private readonly string? _configuredHeader;
    private readonly int _maxLineLength;
    private readonly FieldSplitter _split = new(MaxFields);
    private readonly StringCache _strings = new();
    private bool _ran;

    // Column indices, -1 when absent.
    private int _start = -1, _end = -1, _dur = -1, _proto = -1, _saddr = -1, _sport = -1, _daddr = -1, _dport = -1, _state = -1;
    private int _pkts = -1, _bytes = -1, _sbytes = -1, _dbytes = -1, _spkts = -1, _dpkts = -1, _label = -1, _smac = -1;
    private byte _separator = (byte)',';
    private long _headerLine;

    /// <summary>Reads a binetflow file.</summary>
    /// <exception cref="InputException">The file does not exist.</exception>
    public ArgusSource(string path, int maxLineLength = LineReader.DefaultMaxLineLength)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InputException($"{path}: no such file");
        _path = path;
        Name = path;
        _maxLineLength = maxLineLength;
    }

    /// <summary>
    /// Reads Argus lines from a stream (standard input). A first line naming StartTime/SrcAddr is taken as the header;
    /// otherwise <paramref name="header"/> is used, or <see cref="DefaultHeader"/> when it is null.
    /// </summary>
    public ArgusSource(Stream stream, string name, string? header = null, int maxLineLength = LineReader.DefaultMaxLineLength)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        Name = name;
        _configuredHeader = header;
        _maxLineLength = maxLineLength;
    }

    /// <summary>A worker's parser for <see cref="LineBlockPipeline"/>: the columns of <paramref name="columns"/>, caches of its own.</summary>
    private ArgusSource(ArgusSource columns)
    {
        Name = columns.Name;
        _maxLineLength = columns._maxLineLength;
        _configuredHeader = columns._configuredHeader;
        _separator = columns._separator;
        _headerLine = columns._headerLine;
        (_start, _end, _dur, _proto, _saddr, _sport, _daddr, _dport, _state) =
            (columns._start, columns._end, columns._dur, columns._proto, columns._saddr, columns._sport, columns._daddr, columns._dport, columns._state);
        (_pkts, _bytes, _sbytes, _dbytes, _spkts, _dpkts, _label, _smac) =
            (columns._pkts, columns._bytes, columns._sbytes, columns._dbytes, columns._spkts, columns._dpkts, columns._label, columns._smac);
    }

    public string Name { get; }

    public string Kind => "argus";

    public IngestStats Stats { get; } = new();

    /// <summary>
    /// Threads that parse a file (not standard input) of at least two blocks while the caller takes the flows in order
    /// (<see cref="LineBlockPipeline"/>); 1 reads it on the calling thread. Defaults to the processor count.
    /// </summary>
    public int ParseThreads { get; set; } = LineBlockPipeline.DefaultWorkers;

    /// <summary>Bytes per block of the parallel parse; tests make it tiny to cut lines at every place.</summary>
    internal int BlockSize { get; set; } = LineBlockPipeline.DefaultBlockSize;

    /// <summary>Whether the last run took the parallel parse (tests check that their input was big enough).</summary>
    internal bool RanInBlocks { get; private set; }

    public void Run(IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_ran) throw new InvalidOperationException("a source can be run once");
        _ran = true;
        var stream = _stream ?? OpenFile(_path!);
        if (_stream is null && LineBlockPipeline.Worthwhile(stream, ParseThreads, BlockSize))
        {
            RanInBlocks = true;
            RunBlocks(stream, sink, cancellationToken);
            return;
        }

        using var lines = new LineReader(stream, _maxLineLength);
        bool haveHeader = false;
        try
        {
            while (lines.NextRecord(out var line, Stats, Name, cancellationToken))
            {
                if (!haveHeader)
                {
                    haveHeader = true;
                    if (LooksLikeHeader(line))
                    {
                        DefineColumns(line, lines.LineNumber);
                        continue;
                    }

                    if (_stream is null) throw NoHeader(lines.LineNumber);
                    DefineColumns(Encoding.UTF8.GetBytes(_configuredHeader ?? DefaultHeader), 0);
                }

                OnRecord(line, lines.LineNumber, Stats, sink);
            }
        }
        finally
        {
            Stats.Bytes = lines.BytesRead;
        }

        if (!haveHeader && _stream is null) throw Empty();
    }

    private InputException NoHeader(long lineNumber) =>
        new($"{Name}: line {lineNumber}: no Argus header line (expected column names such as StartTime,Dur,Proto,SrcAddr,...)");

    private InputException Empty() => new($"{Name}: the file is empty");

    private void OnRecord(ReadOnlySpan<byte> line, long lineNumber, IngestStats stats, IEventSink sink)
    {
        stats.Records++;
        if (Parse(line, lineNumber, out var flow, out string? error))
        {
            if (flow is not null)
            {
                stats.Flows++;
                sink.OnEvent(flow);
            }
        }
        else
        {
            stats.Skip($"{Name}: line {lineNumber}: {error}");
        }
    }

    private void RunBlocks(Stream stream, IEventSink sink, CancellationToken cancellationToken)
    {
        LineBlockPipeline.Run(stream, Stats, () => new BlockParser(this), new HeaderScanner(this), ParseThreads, BlockSize, _maxLineLength, sink,
                              cancellationToken);
        if (_headerLine == 0) throw Empty();
    }

    /// <summary>Finds the header line (the first line that is not blank) and defines the columns, on the reader thread.</summary>
    private sealed class HeaderScanner(ArgusSource owner) : IBlockScanner
    {
        public void Scan(LineBlock block, int maxLineLength)
        {
            if (owner._headerLine > 0)
            {
                block.State = owner;
                return;
            }

            var lines = new BlockLines(block, maxLineLength);
            while (lines.Next(out var line) is var status && status != LineStatus.End)
            {
                if (status == LineStatus.TooLong || FieldText.Trim(line).IsEmpty) continue;
                long n = lines.LineNumber;
                try
                {
                    if (!LooksLikeHeader(line)) throw owner.NoHeader(n);
                    owner.DefineColumns(line, n);
                }
                catch (InputException e)
                {
                    // The input ends at this line: its bytes are the last ones counted, as in the serial read.
                    block.Error = e;
                    block.ErrorLine = n;
                    block.Bytes = lines.End;
                    return;
                }

                owner._headerLine = n;
                block.State = owner;
                return;
            }
        }
    }

    /// <summary>One worker's parser: the scan's columns, its own splitter and string cache.</summary>
    private sealed class BlockParser(ArgusSource owner) : IBlockParser
    {
        private ArgusSource? _parser;

        public void Parse(LineBlock block, CancellationToken cancellationToken)
        {
            var columns = (ArgusSource?)block.State;
            var lines = new BlockLines(block, owner._maxLineLength);
            while (lines.NextRecord(out var line, block.Stats, owner.Name, cancellationToken))
            {
                // Before the header only blank lines can be in a block (the scan stops the input at anything else).
                long n = lines.LineNumber;
                if (columns is null || n <= columns._headerLine) continue;
                _parser ??= new ArgusSource(columns);
                _parser.OnRecord(line, n, block.Stats, block);
            }
        }
    }

    private static bool LooksLikeHeader(ReadOnlySpan<byte> line)
    {
        Span<byte> lower = stackalloc byte[Math.Min(line.Length, 4096)];
        for (int i = 0; i < lower.Length; i++) lower[i] = (byte)(line[i] | (line[i] is >= (byte)'A' and <= (byte)'Z' ? 0x20 : 0));
        return lower.IndexOf("starttime"u8) >= 0 || lower.IndexOf("srcaddr"u8) >= 0 || lower.IndexOf("stime"u8) >= 0 || lower.IndexOf("saddr"u8) >= 0;
    }

    private void DefineColumns(ReadOnlySpan<byte> header, long lineNumber)
    {
        // Slips: comma when the line has more than 5 commas, else tab.
        _separator = header.Count((byte)',') > 5 ? (byte)',' : header.Contains((byte)'\t') ? (byte)'\t' : (byte)',';
        if (!_split.Split(header, _separator)) throw new InputException($"{Name}: line {lineNumber}: more than {MaxFields} columns in the header");
        for (int i = 0; i < _split.Count; i++)
        {
            string name = Encoding.UTF8.GetString(_split.Get(header, i)).ToUpperInvariant();
            switch (name)
            {
                case "STARTTIME" or "STIME": _start = i; break;
                case "LASTTIME" or "LTIME" or "ENDTIME": _end = i; break;
                case "DUR": _dur = i; break;
                case "PROTO": _proto = i; break;
                case "SRCADDR" or "SADDR": _saddr = i; break;
                case "SPORT": _sport = i; break;
                case "DSTADDR" or "DADDR": _daddr = i; break;
                case "DPORT": _dport = i; break;
                case "STATE": _state = i; break;
                case "TOTPKTS" or "PKTS": _pkts = i; break;
                case "TOTBYTES" or "BYTES": _bytes = i; break;
                case "SRCBYTES" or "SBYTES": _sbytes = i; break;
                case "DSTBYTES" or "DBYTES": _dbytes = i; break;
                case "SRCPKTS" or "SPKTS": _spkts = i; break;
                case "DSTPKTS" or "DPKTS": _dpkts = i; break;
                case "LABEL": _label = i; break;
                case "SRCMAC" or "SMAC": _smac = i; break;
            }
        }

        string where = lineNumber > 0 ? $"{Name}: line {lineNumber}" : $"{Name}: header '{_configuredHeader ?? DefaultHeader}'";
        if (_start < 0) throw new InputException($"{where}: missing column StartTime");
        if (_proto < 0) throw new InputException($"{where}: missing column Proto");
        if (_saddr < 0) throw new InputException($"{where}: missing column SrcAddr");
        if (_daddr < 0) throw new InputException($"{where}: missing column DstAddr");
    }

    private bool Parse(ReadOnlySpan<byte> line, long lineNumber, out FlowRecord? flow, out string? error)
    {
        flow = null;
        error = null;
        if (!_split.Split(line, _separator))
        {
            error = $"more than {MaxFields} fields";
            return false;
        }

        if (_split.Count <= Math.Max(_saddr, Math.Max(_daddr, Math.Max(_start, _proto))))
        {
            error = $"{_split.Count} fields, fewer than the header names";
            return false;
        }

        var protoText = _split.Get(line, _proto);
        var start = _split.Get(line, _start);
        if (!FieldText.TryParseTime(start, out double ts))
        {
            error = $"bad StartTime '{FieldText.Preview(start)}'";
            return false;
        }

        // Argus management records ("man") carry no traffic.
        if (protoText.SequenceEqual("man"u8)) return true;
        var s = _split.Get(line, _saddr);
        var d = _split.Get(line, _daddr);
        if (!FieldText.TryParseIp(s, out var src) || !FieldText.TryParseIp(d, out var dst))
        {
            // Non-IP flows (llc, MAC addresses) cannot make IP profiles: counted, not reported as errors.
            if (IsMacOrZero(s) && IsMacOrZero(d)) return true;
            error = $"bad address '{FieldText.Preview(FieldText.TryParseIp(s, out _) ? d : s)}'";
            return false;
        }

        var f = new FlowRecord
        {
            Timestamp = ts,
            Source = src,
            Destination = dst,
            SourceLine = lineNumber,
        };

        f.Protocol = FieldText.ParseProtocol(protoText);
        if (f.Protocol == Protocol.Other && FieldText.TryParseLong(protoText, out long pnum) && pnum is >= 0 and <= 255)
        {
            f.ProtocolNumber = (byte)pnum;
        }
        else
        {
            f.ProtocolNumber = f.Protocol is Protocol.Other or Protocol.Arp ? (byte)0 : (byte)f.Protocol;
        }

        if (!Port(line, _sport, out ushort sp, ref error) || !Port(line, _dport, out ushort dp, ref error)) return false;
        f.SourcePort = sp;
        f.DestinationPort = dp;

        if (_dur >= 0)
        {
            var v = _split.Get(line, _dur);
            if (!v.IsEmpty)
            {
                if (!FieldText.TryParseDouble(v, out double dur) || dur < 0) { error = $"bad Dur '{FieldText.Preview(v)}'"; return false; }
                f.Duration = dur;
            }
        }
        else if (_end >= 0 && FieldText.TryParseTime(_split.Get(line, _end), out double end) && end >= ts)
        {
            f.Duration = end - ts;
        }

        if (!Count(line, _pkts, "TotPkts", out long pkts, ref error) || !Count(line, _bytes, "TotBytes", out long bytes, ref error)
            || !Count(line, _sbytes, "SrcBytes", out long sbytes, ref error) || !Count(line, _dbytes, "DstBytes", out long dbytes, ref error)
            || !Count(line, _spkts, "SrcPkts", out long spkts, ref error) || !Count(line, _dpkts, "DstPkts", out long dpkts, ref error))
        {
            return false;
        }

        // Fill the missing side from the total, as far as the columns allow.
        if (_sbytes >= 0 && _dbytes < 0 && _bytes >= 0) dbytes = Math.Max(0, bytes - sbytes);
        else if (_sbytes < 0 && _dbytes >= 0 && _bytes >= 0) sbytes = Math.Max(0, bytes - dbytes);
        else if (_sbytes < 0 && _dbytes < 0) sbytes = bytes;
        if (_pkts < 0) pkts = spkts + dpkts;
        if (_spkts >= 0 && _dpkts < 0) dpkts = Math.Max(0, pkts - spkts);
        else if (_spkts < 0 && _dpkts >= 0) spkts = Math.Max(0, pkts - dpkts);
        else if (_spkts < 0 && _dpkts < 0) spkts = pkts;

        f.SourceBytes = f.SourceIpBytes = sbytes;
        f.DestinationBytes = f.DestinationIpBytes = dbytes;
        f.SourcePackets = spkts;
        f.DestinationPackets = dpkts;

        var state = _split.Get(line, _state);
        f.StateText = _strings.Get(state);
        f.Established = SlipsFlowState.IsEstablished(state, pkts);
        if (_label >= 0) f.Label = _strings.Get(_split.Get(line, _label));
        if (_smac >= 0) f.SourceMac = _strings.Get(_split.Get(line, _smac));
        flow = f;
        return true;
    }

    private bool Port(ReadOnlySpan<byte> line, int column, out ushort port, ref string? error)
    {
        port = 0;
        if (column < 0) return true;
        var v = _split.Get(line, column);
        if (v.IsEmpty || FieldText.TryParsePort(v, out port)) return true;
        error = $"bad port '{FieldText.Preview(v)}'";
        return false;
    }

    private bool Count(ReadOnlySpan<byte> line, int column, string name, out long value, ref string? error)
    {
        value = 0;
        if (column < 0) return true;
        var v = _split.Get(line, column);
        if (v.IsEmpty || FieldText.TryParseCount(v, out value)) return true;
        error = $"bad {name} '{FieldText.Preview(v)}'";
        return false;
    }

    private static bool IsMacOrZero(ReadOnlySpan<byte> s)
    {
        if (s.SequenceEqual("0"u8) || s.IsEmpty) return true;
        if (s.Length != 17) return false;
        for (int i = 0; i < 17; i++)
        {
            byte c = s[i];
            bool ok = i % 3 == 2 ? c == (byte)':' : char.IsAsciiHexDigit((char)c);
            if (!ok) return false;
        }

        return true;
    }

    private static FileStream OpenFile(string path)
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

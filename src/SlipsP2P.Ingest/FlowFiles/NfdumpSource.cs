using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// nfdump files (binary, magic 0xA50C little-endian): read by running <c>nfdump -r FILE -o csv</c> and parsing its
/// CSV by header names (ts, te, td, sa, da, sp, dp, pr, flg, ipkt, ibyt, opkt, obyt). nfdump prints times in the
/// local zone, so it runs with TZ=UTC. Established follows Slips (the flags go through <see cref="SlipsFlowState"/>).
/// </summary>
public sealed class NfdumpSource : IEventSource
{
    /// <summary>The first two bytes of an nfdump file (0xA50C little-endian).</summary>
    public static ReadOnlySpan<byte> Magic => [0x0C, 0xA5];

    private const int MaxFields = 128;
    private readonly string _path;
    private readonly string _nfdump;
    private readonly FieldSplitter _split = new(MaxFields);
    private readonly StringCache _strings = new();
    private bool _ran;
    private int _ts = -1, _te = -1, _td = -1, _sa = -1, _da = -1, _sp = -1, _dp = -1, _pr = -1, _flg = -1;
    private int _ipkt = -1, _ibyt = -1, _opkt = -1, _obyt = -1;

    /// <summary>Reads <paramref name="path"/> with the nfdump program.</summary>
    /// <exception cref="InputException">The file does not exist, or nfdump is not installed.</exception>
    public NfdumpSource(string path, string? nfdumpExecutable = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InputException($"{path}: no such file");
        _path = path;
        _nfdump = nfdumpExecutable ?? FindNfdump() ?? throw new InputException(NotInstalledMessage(path));
    }

    public string Name => _path;

    public string Kind => "nfdump";

    public IngestStats Stats { get; } = new();

    /// <summary>The message given when nfdump is missing.</summary>
    public static string NotInstalledMessage(string path) => $"{path} is an nfdump file; install nfdump (apt-get install nfdump) to read it";

    /// <summary>The nfdump executable on PATH, or null.</summary>
    public static string? FindNfdump()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            string p = Path.Combine(dir, "nfdump");
            if (File.Exists(p)) return p;
        }

        return null;
    }

    public void Run(IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_ran) throw new InvalidOperationException("a source can be run once");
        _ran = true;
        var psi = new ProcessStartInfo(_nfdump)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-r");
        psi.ArgumentList.Add(_path);
        // NetFlow records are one-way: -B pairs them into bidirectional flows (a SYN and its RST-ACK become one
        // rejected connection, not a connection attempt from the server to the client's ephemeral port), and
        // -O tstart keeps them in time order, as the time windows need.
        psi.ArgumentList.Add("-B");
        psi.ArgumentList.Add("-O");
        psi.ArgumentList.Add("tstart");
        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add("csv");
        psi.Environment["TZ"] = "UTC";
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InputException($"{_path}: nfdump could not be started");
        }
        catch (Win32Exception e)
        {
            throw new InputException(NotInstalledMessage(_path) + $" ({e.Message})", e);
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var registration = cancellationToken.Register(() =>
            {
                try { process.Kill(); } catch (InvalidOperationException) { }
            });
            bool header = false;
            using (var lines = new LineReader(process.StandardOutput.BaseStream))
            {
                while (true)
                {
                    var status = lines.Next(out var line);
                    if (status == LineStatus.End) break;
                    if (status == LineStatus.TooLong)
                    {
                        Stats.Skip($"{_path}: nfdump output line {lines.LineNumber}: too long");
                        continue;
                    }

                    if (line.IsEmpty) continue;
                    if (!header)
                    {
                        DefineColumns(line);
                        header = true;
                        continue;
                    }

                    // nfdump ends its CSV with a summary block.
                    if (line.StartsWith("Summary"u8)) break;
                    Stats.Records++;
                    if (Parse(line, lines.LineNumber, out var flow, out string? error))
                    {
                        Stats.Flows++;
                        sink.OnEvent(flow!);
                    }
                    else
                    {
                        Stats.Skip($"{_path}: nfdump output line {lines.LineNumber}: {error}");
                    }
                }

                Stats.Bytes = new FileInfo(_path).Length;
                // Drain what is left (the summary) so that nfdump can exit.
                while (lines.Next(out _) != LineStatus.End) { }
            }

            process.WaitForExit();
            cancellationToken.ThrowIfCancellationRequested();
            string err = stderr.IsCompletedSuccessfully ? stderr.Result.Trim() : "";
            if (process.ExitCode != 0 && Stats.Records == 0)
            {
                throw new InputException($"{_path}: nfdump failed (exit {process.ExitCode}): {FirstLine(err)}");
            }

            if (!header) throw new InputException($"{_path}: nfdump printed nothing: {FirstLine(err)}");
        }
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOf('\n', StringComparison.Ordinal);
        return nl >= 0 ? s[..nl] : s;
    }

    private void DefineColumns(ReadOnlySpan<byte> header)
    {
        if (!_split.Split(header, (byte)',')) throw new InputException($"{_path}: nfdump CSV header has more than {MaxFields} columns");
        for (int i = 0; i < _split.Count; i++)
        {
            switch (Encoding.ASCII.GetString(_split.Get(header, i)))
            {
                case "ts": _ts = i; break;
                case "te": _te = i; break;
                case "td": _td = i; break;
                case "sa": _sa = i; break;
                case "da": _da = i; break;
                case "sp": _sp = i; break;
                case "dp": _dp = i; break;
                case "pr": _pr = i; break;
                case "flg": _flg = i; break;
                case "ipkt": _ipkt = i; break;
                case "ibyt": _ibyt = i; break;
                case "opkt": _opkt = i; break;
                case "obyt": _obyt = i; break;
            }
        }

        if (_ts < 0 || _sa < 0 || _da < 0 || _pr < 0)
        {
            throw new InputException($"{_path}: nfdump CSV output lacks ts/sa/da/pr columns: '{FieldText.Preview(header)}'");
        }
    }

    private bool Parse(ReadOnlySpan<byte> line, long lineNumber, out FlowRecord? flow, out string? error)
    {
        flow = null;
        error = null;
        if (!_split.Split(line, (byte)',')) { error = "too many fields"; return false; }
        var t = _split.Get(line, _ts);
        if (!FieldText.TryParseTime(t, out double ts)) { error = $"bad ts '{FieldText.Preview(t)}'"; return false; }
        if (!FieldText.TryParseIp(_split.Get(line, _sa), out var sa) || !FieldText.TryParseIp(_split.Get(line, _da), out var da))
        {
            error = "bad address";
            return false;
        }

        var f = new FlowRecord { Timestamp = ts, Source = sa, Destination = da, SourceLine = lineNumber };
        f.Protocol = FieldText.ParseProtocol(_split.Get(line, _pr));
        if (f.Protocol == Protocol.Icmp && !sa.IsV4) f.Protocol = Protocol.Icmp6;
        f.ProtocolNumber = f.Protocol is Protocol.Other or Protocol.Arp ? (byte)0 : (byte)f.Protocol;

        // nfdump writes ICMP type.code in dp as "8.0"; the source port is 0.
        var dp = _split.Get(line, _dp);
        int dot = dp.IndexOf((byte)'.');
        if (dot > 0 && FieldText.TryParsePort(dp[..dot], out ushort icmpType) && FieldText.TryParsePort(dp[(dot + 1)..], out ushort icmpCode))
        {
            f.SourcePort = icmpType;
            f.DestinationPort = icmpCode;
        }
        else
        {
            f.SourcePort = FieldText.TryParsePort(_split.Get(line, _sp), out ushort sp) ? sp : (ushort)0;
            f.DestinationPort = FieldText.TryParsePort(dp, out ushort d) ? d : (ushort)0;
        }

        if (_td >= 0 && FieldText.TryParseDouble(_split.Get(line, _td), out double td) && td >= 0) f.Duration = td;
        else if (_te >= 0 && FieldText.TryParseTime(_split.Get(line, _te), out double te) && te >= ts) f.Duration = te - ts;
        f.SourcePackets = CountAt(line, _ipkt);
        f.SourceBytes = f.SourceIpBytes = CountAt(line, _ibyt);
        f.DestinationPackets = CountAt(line, _opkt);
        f.DestinationBytes = f.DestinationIpBytes = CountAt(line, _obyt);
        var flags = _split.Get(line, _flg);
        f.StateText = _strings.Get(flags);
        f.Established = SlipsFlowState.IsEstablished(flags, f.TotalPackets);
        flow = f;
        return true;
    }

    private long CountAt(ReadOnlySpan<byte> line, int column) =>
        column >= 0 && FieldText.TryParseCount(_split.Get(line, column), out long v) ? v : 0;

    public void Dispose() { }
}

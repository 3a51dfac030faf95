using System.Text;
using System.Text.Json;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Reads one Zeek log, TSV (with its # headers) or JSON (one object per line), and returns its records one at a
/// time. A log may switch between the two per line (a TSV header resets the columns). Bad lines are counted in
/// <see cref="IngestStats"/> with "file: line N: why" and skipped.
/// </summary>
internal sealed class ZeekLogReader : IDisposable, IBlockParser
{
    /// <summary>Columns accepted in a #fields header.</summary>
    public const int MaxColumns = 512;

    private readonly LineReader? _lines;
    private readonly string _name;
    private readonly int _maxLineLength;
    private IngestStats _stats;
    private long _lineNumber;
    private int _headerVersion;
    private ZeekHeaderState? _snapshot;
    private readonly ZeekRecordBuilder _builder = new();
    private readonly List<string> _list = new();
    private byte[] _scratch = new byte[256];
    private ZeekConnLine? _connLine;
    private ZeekLogKind _kind;
    private ZeekField[] _columns = Array.Empty<ZeekField>();
    private byte _separator = (byte)'\t';
    private byte _setSeparator = (byte)',';
    private byte[] _emptyField = "(empty)"u8.ToArray();
    private byte[] _unsetField = "-"u8.ToArray();

    /// <param name="stream">The log's bytes; disposed with the reader.</param>
    /// <param name="name">File name for messages.</param>
    /// <param name="kind">The log kind when known from the file name; otherwise taken from #path, "_path" or the fields.</param>
    /// <param name="stats">Where counts and skip messages go.</param>
    /// <param name="maxLineLength">Longest line accepted.</param>
    public ZeekLogReader(Stream stream, string name, ZeekLogKind kind, IngestStats stats, int maxLineLength = LineReader.DefaultMaxLineLength)
    {
        _lines = new LineReader(stream, maxLineLength);
        _name = name;
        _kind = kind;
        _stats = stats;
        _maxLineLength = maxLineLength;
    }

    /// <summary>
    /// A reader of blocks (<see cref="IBlockParser"/>, one per worker of <see cref="LineBlockPipeline"/>) or of header
    /// lines only (<see cref="ZeekHeaderScanner"/>): no stream of its own.
    /// </summary>
    public ZeekLogReader(string name, ZeekLogKind kind, int maxLineLength)
    {
        _name = name;
        _kind = kind;
        _stats = new IngestStats();
        _maxLineLength = maxLineLength;
    }

    /// <summary>
    /// Whether conn lines go through <see cref="ZeekConnLine"/> first (the default); tests turn it off to compare
    /// the fast path with the general one.
    /// </summary>
    public bool FastPath { get; init; } = true;

    /// <summary>Whether conn records keep the log's community_id and aid (see <see cref="ZeekLogSource.KeepFlowIds"/>).</summary>
    public bool KeepFlowIds
    {
        get => _builder.KeepFlowIds;
        init => _builder.KeepFlowIds = value;
    }

    /// <summary>The kind of log (known after the header or the first JSON line).</summary>
    public ZeekLogKind Kind => _kind;

    /// <summary>The next record, or null at the end of the log.</summary>
    public NetEvent? Next()
    {
        var lines = _lines!;
        while (true)
        {
            var status = lines.Next(out var line);
            if (status == LineStatus.End)
            {
                _stats.Bytes += lines.BytesRead - _countedBytes;
                _countedBytes = lines.BytesRead;
                return null;
            }

            _lineNumber = lines.LineNumber;
            if (status == LineStatus.TooLong)
            {
                TooLong();
                continue;
            }

            var record = OnLine(line);
            if (record is not null)
            {
                if ((_stats.Records & 0xFFF) == 0)
                {
                    _stats.Bytes += lines.BytesRead - _countedBytes;
                    _countedBytes = lines.BytesRead;
                }

                return record;
            }
        }
    }

    /// <summary>Parses a block's lines into the block, starting from the header state the scan found at its start.</summary>
    public void Parse(LineBlock block, CancellationToken cancellationToken)
    {
        Restore((ZeekHeaderState)block.State!);
        _stats = block.Stats;
        _builder.Flows.Free = block.FreeFlows;
        var lines = new BlockLines(block, _maxLineLength);
        while (true)
        {
            var status = lines.Next(out var line);
            if (status == LineStatus.End) return;
            _lineNumber = lines.LineNumber;
            if ((_lineNumber & 0x3FF) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (status == LineStatus.TooLong)
            {
                TooLong();
                continue;
            }

            if (OnLine(line) is { } record) block.OnEvent(record);
        }
    }

    private void TooLong() => LineReader.SkipTooLong(_stats, _name, _lineNumber, _maxLineLength);

    /// <summary>One line within the limit: a header applied, a data line's record, or null (blank, skipped, header).</summary>
    private NetEvent? OnLine(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty) return null;
        if (IsHeader(line, out var header))
        {
            if (!header.IsEmpty) Header(header);
            return null;
        }

        _stats.Records++;
        NetEvent? record = line[0] == (byte)'{' ? Json(line) : Tsv(line);
        if (record is FlowRecord) _stats.Flows++;
        return record;
    }

    /// <summary>
    /// Whether a line is a header (or a blank line, with an empty <paramref name="header"/>): '#' first, or after
    /// blanks, since hand-edited logs (Slips' test10) indent a header; a data line never starts with a blank.
    /// </summary>
    internal static bool IsHeader(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> header)
    {
        header = line;
        if (line[0] == (byte)'#') return true;
        if (line[0] is not ((byte)' ' or (byte)'\t')) return false;
        var trimmed = FieldText.Trim(line);
        header = trimmed;
        return trimmed.IsEmpty || trimmed[0] == (byte)'#';
    }

    /// <summary>The header state now in force (the same object until a header line changes it).</summary>
    internal ZeekHeaderState Snapshot()
    {
        if (_snapshot is null || _snapshot.Version != _headerVersion)
        {
            _snapshot = new ZeekHeaderState(_headerVersion, _kind, _columns, _separator, _setSeparator, _emptyField, _unsetField);
        }

        return _snapshot;
    }

    private void Restore(ZeekHeaderState state)
    {
        if (ReferenceEquals(state, _snapshot) && state.Version == _headerVersion) return;
        _kind = state.Kind;
        _columns = state.Columns;
        _separator = state.Separator;
        _setSeparator = state.SetSeparator;
        _emptyField = state.EmptyField;
        _unsetField = state.UnsetField;
        _snapshot = state;
        _headerVersion = state.Version;
    }

    /// <summary>Applies a header line (found by the scan) to the state; its messages are the workers' to give.</summary>
    internal void ApplyHeader(ReadOnlySpan<byte> header, long lineNumber)
    {
        _lineNumber = lineNumber;
        Header(header);
    }

    private long _countedBytes;

    private void Skip(string why) => _stats.Skip($"{_name}: line {_lineNumber}: {why}");

    private void Header(ReadOnlySpan<byte> line)
    {
        _headerVersion++;
        // "#separator \x09" uses a space; every other header uses the separator itself.
        if (line.StartsWith("#separator "u8))
        {
            var v = Unescape(FieldText.Trim(line["#separator "u8.Length..]));
            if (v.Length == 1) _separator = v[0];
            else Skip("#separator must be one byte");
            return;
        }

        int sep = line.IndexOf(_separator);
        if (sep < 0) return; // a comment
        var key = line[..sep];
        var value = line[(sep + 1)..];
        if (key.SequenceEqual("#set_separator"u8))
        {
            var v = Unescape(value);
            if (v.Length == 1) _setSeparator = v[0];
        }
        else if (key.SequenceEqual("#empty_field"u8))
        {
            _emptyField = Unescape(value).ToArray();
        }
        else if (key.SequenceEqual("#unset_field"u8))
        {
            _unsetField = Unescape(value).ToArray();
        }
        else if (key.SequenceEqual("#path"u8))
        {
            var kind = ZeekLogKinds.FromPath(Encoding.ASCII.GetString(value));
            if (kind != ZeekLogKind.Unknown) _kind = kind;
        }
        else if (key.SequenceEqual("#fields"u8))
        {
            var cols = new List<ZeekField>();
            while (true)
            {
                int t = value.IndexOf(_separator);
                var name = t < 0 ? value : value[..t];
                cols.Add(ZeekFields.Lookup(name));
                if (cols.Count > MaxColumns)
                {
                    Skip($"#fields has more than {MaxColumns} columns");
                    cols.RemoveRange(MaxColumns, cols.Count - MaxColumns);
                    break;
                }

                if (t < 0) break;
                value = value[(t + 1)..];
            }

            _columns = cols.ToArray();
            if (_kind == ZeekLogKind.Unknown) _kind = GuessKind(_columns);
        }
    }

    private static ZeekLogKind GuessKind(ReadOnlySpan<ZeekField> fields)
    {
        bool Has(ReadOnlySpan<ZeekField> fs, ZeekField f) => fs.Contains(f);
        if (Has(fields, ZeekField.ConnState) || Has(fields, ZeekField.Duration)) return ZeekLogKind.Conn;
        if (Has(fields, ZeekField.Query) || Has(fields, ZeekField.QTypeName)) return ZeekLogKind.Dns;
        if (Has(fields, ZeekField.Method) || Has(fields, ZeekField.StatusCode)) return ZeekLogKind.Http;
        if (Has(fields, ZeekField.ServerName) || Has(fields, ZeekField.ValidationStatus)) return ZeekLogKind.Ssl;
        if (Has(fields, ZeekField.AuthSuccess) || Has(fields, ZeekField.AuthAttempts)) return ZeekLogKind.Ssh;
        if (Has(fields, ZeekField.Note)) return ZeekLogKind.Notice;
        if (Has(fields, ZeekField.Operation)) return ZeekLogKind.Arp;
        if (Has(fields, ZeekField.RequestedAddr) || Has(fields, ZeekField.ClientAddr)) return ZeekLogKind.Dhcp;
        if (Has(fields, ZeekField.LastReply) || Has(fields, ZeekField.MailFrom)) return ZeekLogKind.Smtp;
        return ZeekLogKind.Unknown;
    }

    private NetEvent? Tsv(ReadOnlySpan<byte> line)
    {
        if (_columns.Length == 0)
        {
            Skip("data before any #fields header");
            return null;
        }

        if (_kind == ZeekLogKind.Unknown)
        {
            Skip("not a supported Zeek log (no #path and unknown fields)");
            return null;
        }

        if (_kind == ZeekLogKind.Conn && FastPath)
        {
            if (_connLine is null || _connLine.Columns != _columns) _connLine = new ZeekConnLine(_columns, _builder.Strings, _builder.Flows) { KeepFlowIds = KeepFlowIds };
            if (_connLine.TryParseTsv(line, _separator, _unsetField, _emptyField, _lineNumber, out var flow)) return flow;
        }

        _builder.Begin(_kind, _lineNumber);
        int col = 0;
        var rest = line;
        while (true)
        {
            int t = rest.IndexOf(_separator);
            var field = t < 0 ? rest : rest[..t];
            if (col < _columns.Length)
            {
                var f = _columns[col];
                if (f != ZeekField.None && !field.SequenceEqual(_unsetField)) SetTsv(f, field);
            }

            col++;
            if (t < 0) break;
            rest = rest[(t + 1)..];
        }

        if (col != _columns.Length)
        {
            _builder.Finish(out _);
            Skip($"expected {_columns.Length} fields, found {col}");
            return null;
        }

        var record = _builder.Finish(out string? error);
        if (error is not null) Skip(error);
        return record;
    }

    private void SetTsv(ZeekField f, ReadOnlySpan<byte> raw)
    {
        if (ZeekFields.IsList(f))
        {
            _list.Clear();
            if (!raw.SequenceEqual(_emptyField))
            {
                while (true)
                {
                    int c = raw.IndexOf(_setSeparator);
                    var item = c < 0 ? raw : raw[..c];
                    _list.Add(_builder.Strings.Get(Unescape(item)));
                    if (c < 0) break;
                    raw = raw[(c + 1)..];
                }
            }

            _builder.SetList(f, _list);
            return;
        }

        if (raw.SequenceEqual(_emptyField)) raw = default;
        _builder.Set(f, raw.IndexOf((byte)'\\') >= 0 ? Unescape(raw) : raw);
    }

    /// <summary>Undoes Zeek's \xHH escapes (into a scratch buffer when there are any).</summary>
    private ReadOnlySpan<byte> Unescape(ReadOnlySpan<byte> s)
    {
        if (s.IndexOf((byte)'\\') < 0) return s;
        if (_scratch.Length < s.Length) _scratch = new byte[Math.Max(s.Length, _scratch.Length * 2)];
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == (byte)'\\' && i + 3 < s.Length && s[i + 1] == (byte)'x' && Hex(s[i + 2]) >= 0 && Hex(s[i + 3]) >= 0)
            {
                _scratch[n++] = (byte)((Hex(s[i + 2]) << 4) | Hex(s[i + 3]));
                i += 3;
            }
            else
            {
                _scratch[n++] = s[i];
            }
        }

        return _scratch.AsSpan(0, n);
    }

    private static int Hex(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    private NetEvent? Json(ReadOnlySpan<byte> line)
    {
        var kind = _kind;
        if (kind == ZeekLogKind.Unknown)
        {
            kind = GuessJsonKind(line);
            if (kind == ZeekLogKind.Unknown)
            {
                Skip("not a supported Zeek log (unknown fields)");
                return null;
            }
        }

        if (kind == ZeekLogKind.Conn && FastPath)
        {
            _connLine ??= new ZeekConnLine(_columns, _builder.Strings, _builder.Flows) { KeepFlowIds = KeepFlowIds };
            if (_connLine.TryParseJson(line, _lineNumber, out var flow)) return flow;
        }

        _builder.Begin(kind, _lineNumber);
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("not an object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var f = ZeekFields.Lookup(reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan);
                if (!reader.Read()) throw new JsonException("truncated");
                if (f == ZeekField.None)
                {
                    reader.Skip();
                    continue;
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        _builder.Set(f, JsonString(ref reader));
                        break;
                    case JsonTokenType.Number:
                        _builder.Set(f, reader.ValueSpan);
                        break;
                    case JsonTokenType.True:
                        _builder.Set(f, "T"u8);
                        break;
                    case JsonTokenType.False:
                        _builder.Set(f, "F"u8);
                        break;
                    case JsonTokenType.StartArray:
                        _list.Clear();
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
                            {
                                _list.Add(_builder.Strings.Get(reader.TokenType == JsonTokenType.String ? JsonString(ref reader) : reader.ValueSpan));
                            }
                            else
                            {
                                reader.Skip();
                            }
                        }

                        if (reader.TokenType != JsonTokenType.EndArray) throw new JsonException("truncated array");
                        _builder.SetList(f, _list);
                        break;
                    case JsonTokenType.Null:
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new JsonException(reader.TokenType == JsonTokenType.EndObject ? "data after the object" : "truncated object");
            }
        }
        catch (JsonException e)
        {
            _builder.Finish(out _);
            Skip($"invalid JSON ({FirstSentence(e.Message)})");
            return null;
        }

        var record = _builder.Finish(out string? error);
        if (error is not null) Skip(error);
        return record;
    }

    private ReadOnlySpan<byte> JsonString(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return reader.ValueSpan;
        int max = reader.ValueSpan.Length;
        if (_scratch.Length < max) _scratch = new byte[Math.Max(max, _scratch.Length * 2)];
        try
        {
            int n = reader.CopyString(_scratch);
            return _scratch.AsSpan(0, n);
        }
        catch (InvalidOperationException e)
        {
            // An escape that unescapes to invalid UTF-8 (a lone surrogate such as \udc00): a bad line, not a crash.
            throw new JsonException("invalid string escape", e);
        }
    }

    private static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message;
    }

    /// <summary>The kind of a JSON line without a file name: "_path" when Zeek wrote one, else the fields present.</summary>
    private static ZeekLogKind GuessJsonKind(ReadOnlySpan<byte> line)
    {
        int p = line.IndexOf("\"_path\":\""u8);
        if (p >= 0)
        {
            var rest = line[(p + 9)..];
            int q = rest.IndexOf((byte)'"');
            if (q > 0 && q < 16) return ZeekLogKinds.FromPath(Encoding.ASCII.GetString(rest[..q]));
        }

        if (line.IndexOf("\"conn_state\""u8) >= 0 || line.IndexOf("\"duration\""u8) >= 0 || line.IndexOf("\"orig_pkts\""u8) >= 0) return ZeekLogKind.Conn;
        if (line.IndexOf("\"query\""u8) >= 0 || line.IndexOf("\"qtype_name\""u8) >= 0) return ZeekLogKind.Dns;
        if (line.IndexOf("\"method\""u8) >= 0 || line.IndexOf("\"status_code\""u8) >= 0) return ZeekLogKind.Http;
        if (line.IndexOf("\"server_name\""u8) >= 0 || line.IndexOf("\"validation_status\""u8) >= 0) return ZeekLogKind.Ssl;
        if (line.IndexOf("\"auth_success\""u8) >= 0 || line.IndexOf("\"auth_attempts\""u8) >= 0) return ZeekLogKind.Ssh;
        if (line.IndexOf("\"note\""u8) >= 0) return ZeekLogKind.Notice;
        if (line.IndexOf("\"operation\""u8) >= 0) return ZeekLogKind.Arp;
        if (line.IndexOf("\"requested_addr\""u8) >= 0 || line.IndexOf("\"client_addr\""u8) >= 0) return ZeekLogKind.Dhcp;
        if (line.IndexOf("\"last_reply\""u8) >= 0 || line.IndexOf("\"mailfrom\""u8) >= 0) return ZeekLogKind.Smtp;
        return ZeekLogKind.Unknown;
    }

    public void Dispose() => _lines?.Dispose();
}

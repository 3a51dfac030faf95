using System.Text;
using System.Text.Json;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// The fast path for Zeek conn.log TSV lines, the bulk of every Zeek input: the separators are found in one
/// vectorised pass (<see cref="FieldSplitter.FindAll"/>) and each column is parsed straight into the
/// <see cref="FlowRecord"/>, without going through <see cref="ZeekRecordBuilder"/> field by field.
/// It takes only lines it can read whole: a line with an escape, a wrong field count or any bad value returns false
/// and goes to the general path, which reads it again and words the message. So the two paths give the same record
/// for every good line and this one needs no error handling of its own.
/// </summary>
internal sealed class ZeekConnLine
{
    private readonly ZeekField[] _columns;
    private readonly int[] _separators;
    private const int JsonNameSlots = 256;
    private const int MaxCachedName = 64;

    private static readonly JsonReaderOptions s_jsonOptions = new() { MaxDepth = 16 };

    private readonly StringCache _strings;
    private readonly RecycledFlows _flows;

    /// <summary>Whether the log's community_id and aid are kept (see <see cref="ZeekLogSource.KeepFlowIds"/>).</summary>
    public bool KeepFlowIds { get; init; } = true;
    private readonly byte[]?[] _jsonNames = new byte[]?[JsonNameSlots];
    private readonly ZeekField[] _jsonFields = new ZeekField[JsonNameSlots];

    /// <param name="columns">The #fields of the log.</param>
    /// <param name="strings">The cache that the general path uses too, so both share their strings.</param>
    /// <param name="flows">Where the records' objects come from, as for the general path.</param>
    public ZeekConnLine(ZeekField[] columns, StringCache strings, RecycledFlows flows)
    {
        _flows = flows;
        _columns = columns;
        _separators = new int[Math.Max(1, columns.Length)];
        _strings = strings;
    }

    /// <summary>The columns this parser was made for.</summary>
    public ZeekField[] Columns => _columns;

    /// <summary>Parses a data line; false when the general path must read it.</summary>
    public bool TryParseTsv(ReadOnlySpan<byte> line, byte separator, ReadOnlySpan<byte> unset, ReadOnlySpan<byte> empty, long lineNumber, out FlowRecord? flow)
    {
        flow = null;
        if (line.Contains((byte)'\\')) return false;
        int n = FieldSplitter.FindAll(line, separator, _separators);
        if (n != _columns.Length - 1) return false;

        var f = _flows.Take(lineNumber);
        var seen = Seen.None;
        int start = 0;
        var columns = _columns;
        for (int c = 0; c < columns.Length; c++)
        {
            int end = c < n ? _separators[c] : line.Length;
            var v = line[start..end];
            start = end + 1;
            var field = columns[c];
            if (field == ZeekField.None || v.SequenceEqual(unset)) continue;
            if (v.SequenceEqual(empty)) v = default;
            if (!Set(f, field, v, ref seen)) return false;
        }

        if (seen != Seen.All) return false;
        Complete(f);
        flow = f;
        return true;
    }

    /// <summary>
    /// Parses a JSON conn.log line (Zeek's LogAscii::use_json): strings without escapes, numbers as their text,
    /// booleans as T/F, as the general path hands them to <see cref="ZeekRecordBuilder"/>; false when the general
    /// path must read it (escapes, arrays of a known field, invalid JSON, bad values).
    /// </summary>
    public bool TryParseJson(ReadOnlySpan<byte> line, long lineNumber, out FlowRecord? flow)
    {
        flow = null;
        try
        {
            var reader = new Utf8JsonReader(line, s_jsonOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            var f = _flows.Take(lineNumber);
            var seen = Seen.None;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped) return false;
                var field = JsonField(reader.ValueSpan);
                reader.Read();
                if (field == ZeekField.None)
                {
                    reader.Skip();
                    continue;
                }

                ReadOnlySpan<byte> v;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String when !reader.ValueIsEscaped:
                    case JsonTokenType.Number:
                        v = reader.ValueSpan;
                        break;
                    case JsonTokenType.True: v = "T"u8; break;
                    case JsonTokenType.False: v = "F"u8; break;
                    case JsonTokenType.Null: continue;
                    case JsonTokenType.StartObject:
                        reader.Skip();
                        continue;
                    default: return false;
                }

                if (!Set(f, field, v, ref seen)) return false;
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || seen != Seen.All) return false;
            Complete(f);
            flow = f;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The field of a JSON property name through a small open-addressing cache of the names seen so far (a log has a
    /// few dozen), so that the dictionary lookup and its copy to chars happen once per name, not once per line.
    /// Once the table is full, new names are looked up without being kept: the memory stays bounded.
    /// </summary>
    private ZeekField JsonField(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.Length > MaxCachedName) return ZeekFields.Lookup(name);
        uint slot = ((uint)name.Length * 31) + ((uint)name[0] * 7) + ((uint)name[^1] * 3) + name[name.Length / 2];
        for (int probe = 0; probe < 8; probe++)
        {
            int i = (int)((slot + (uint)probe) & (JsonNameSlots - 1));
            var known = _jsonNames[i];
            if (known is null)
            {
                var field = ZeekFields.Lookup(name);
                _jsonNames[i] = name.ToArray();
                _jsonFields[i] = field;
                return field;
            }

            if (name.SequenceEqual(known)) return _jsonFields[i];
        }

        return ZeekFields.Lookup(name);
    }

    [Flags]
    private enum Seen
    {
        None = 0,
        Ts = 1,
        Orig = 2,
        Resp = 4,
        All = Ts | Orig | Resp,
    }

    /// <summary>One field into the record, as ZeekRecordBuilder sets a conn field; false for a value it would reject.</summary>
    private bool Set(FlowRecord f, ZeekField field, ReadOnlySpan<byte> v, ref Seen seen)
    {
        switch (field)
        {
            case ZeekField.Ts:
                if (!FieldText.TryParseTime(v, out double ts)) return false;
                f.Timestamp = ts;
                seen |= Seen.Ts;
                break;
            case ZeekField.Uid: f.SetUidFromUtf8(v); break; // packed: no string per line unless its text is read (issue 5)
            case ZeekField.OrigH:
                if (!FieldText.TryParseIp(v, out var a)) return false;
                f.Source = a;
                seen |= Seen.Orig;
                break;
            case ZeekField.RespH:
                if (!FieldText.TryParseIp(v, out var b)) return false;
                f.Destination = b;
                seen |= Seen.Resp;
                break;
            case ZeekField.OrigP:
                if (!FieldText.TryParsePort(v, out ushort sp)) return false;
                f.SourcePort = sp;
                break;
            case ZeekField.RespP:
                if (!FieldText.TryParsePort(v, out ushort dp)) return false;
                f.DestinationPort = dp;
                break;
            default:
                return SetConnField(f, field, v, _strings, KeepFlowIds);
        }

        return true;
    }

    /// <summary>
    /// A field that only conn records have (not ts, uid or the connection's addresses and ports), shared with
    /// <see cref="ZeekRecordBuilder"/>; false for a bad value, which fails the record.
    /// </summary>
    internal static bool SetConnField(FlowRecord f, ZeekField field, ReadOnlySpan<byte> v, StringCache strings, bool keepFlowIds)
    {
        switch (field)
        {
            case ZeekField.Proto: f.Protocol = FieldText.ParseProtocol(v); break;
            case ZeekField.Service: f.Service = strings.Get(v); break;
            case ZeekField.Duration:
                if (!FieldText.TryParseDouble(v, out double d) || d < 0) return false;
                f.Duration = d;
                break;
            case ZeekField.OrigBytes or ZeekField.RespBytes or ZeekField.OrigPkts or ZeekField.RespPkts or ZeekField.OrigIpBytes
                or ZeekField.RespIpBytes:
                if (!FieldText.TryParseCount(v, out long count)) return false;
                SetCount(f, field, count);
                break;
            case ZeekField.ConnState:
                f.StateText = strings.Get(v);
                f.State = ZeekRecordBuilder.ParseConnState(v);
                break;
            case ZeekField.History: f.History = strings.Get(v); break;
            case ZeekField.CommunityId:
                if (!keepFlowIds) break;
                if (strings.TryKeep(v, out var cidBlock, out ushort cidAt)) f.SetCommunityIdText(cidBlock, cidAt);
                else f.CommunityId = Encoding.UTF8.GetString(v);
                break;
            case ZeekField.Aid:
                if (!keepFlowIds) break;
                if (strings.TryKeep(v, out var aidBlock, out ushort aidAt)) f.SetAidText(aidBlock, aidAt);
                else f.Aid = Encoding.UTF8.GetString(v);
                break;
            case ZeekField.Label: f.Label = strings.Get(v); break;
            case ZeekField.OrigL2Addr: f.SourceMac = strings.Get(v); break;
        }

        return true;
    }

    private static void SetCount(FlowRecord f, ZeekField field, long count)
    {
        switch (field)
        {
            case ZeekField.OrigBytes: f.SourceBytes = count; break;
            case ZeekField.RespBytes: f.DestinationBytes = count; break;
            case ZeekField.OrigPkts: f.SourcePackets = count; break;
            case ZeekField.RespPkts: f.DestinationPackets = count; break;
            case ZeekField.OrigIpBytes: f.SourceIpBytes = count; break;
            default: f.DestinationIpBytes = count; break;
        }
    }

    /// <summary>The values a conn record derives from its fields once they are all read (both paths end here).</summary>
    public static void Complete(FlowRecord f)
    {
        if (f.Protocol == Protocol.Icmp && !f.Source.IsV4) f.Protocol = Protocol.Icmp6;
        f.ProtocolNumber = f.Protocol is Protocol.Other or Protocol.Arp ? (byte)0 : (byte)f.Protocol;
        long packets = f.SourcePackets + f.DestinationPackets;
        f.Established = f.State switch
        {
            // Same answers as SlipsFlowState.IsEstablished for Zeek's states, without going back to text.
            ConnState.S1 or ConnState.SF or ConnState.S2 or ConnState.S3 or ConnState.RSTO or ConnState.OTH => true,
            ConnState.RSTR => packets > 3,
            ConnState.Unknown => SlipsFlowState.IsEstablished(Ascii8(f.StateText, stackalloc byte[32]), packets),
            _ => false,
        };
    }

    private static ReadOnlySpan<byte> Ascii8(string s, Span<byte> buffer)
    {
        if (s.Length > buffer.Length) return ReadOnlySpan<byte>.Empty;
        for (int i = 0; i < s.Length; i++) buffer[i] = (byte)s[i];
        return buffer[..s.Length];
    }
}

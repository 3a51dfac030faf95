using System.Text;
using System.Text.Json;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>What <see cref="EveFlowLine.TryRead"/> made of a line.</summary>
internal enum EveLineResult
{
    /// <summary>A flow event, read into a record.</summary>
    Flow,
    /// <summary>A valid event of a type that is not read (alert, stats, fileinfo ...).</summary>
    Ignored,
    /// <summary>Anything else (dns/http/tls/ssh events, bad or unusual values): the general reader must read it.</summary>
    General,
}

/// <summary>
/// The fast path of <see cref="SuricataSource"/>: eve.json flow events read with one forward pass of
/// <see cref="Utf8JsonReader"/> over the line's bytes (no document), and events of ignored types recognised after
/// the same pass. It takes only what it can read whole and exactly as the general, document-based reader does;
/// everything else (other event types, invalid JSON, escaped or unusual values) goes to the general reader, which
/// reads the line again and words any message. So both paths give the same record for every line.
/// </summary>
internal sealed class EveFlowLine
{
    private const int MaxDepth = 32;
    private const int MaxTimeLength = 64;

    private static readonly JsonReaderOptions s_options = new() { MaxDepth = MaxDepth };

    private readonly StringCache _strings;

    public EveFlowLine(StringCache strings) => _strings = strings;

    /// <summary>Reads a line; <paramref name="flow"/> is set for <see cref="EveLineResult.Flow"/>.</summary>
    public EveLineResult TryRead(ReadOnlySpan<byte> line, long lineNumber, out FlowRecord? flow)
    {
        flow = null;
        try
        {
            return Read(line, lineNumber, ref flow);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            flow = null;
            return EveLineResult.General;
        }
    }

    private EveLineResult Read(ReadOnlySpan<byte> line, long lineNumber, ref FlowRecord? flow)
    {
        var reader = new Utf8JsonReader(line, s_options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return EveLineResult.General;

        // The event type is usually the fourth property; until it is known the values are kept in the record.
        var f = new FlowRecord { SourceLine = lineNumber };
        bool ignored = false, haveType = false, haveSrc = false, haveDst = false, haveFlow = false, haveStart = false;
        double end = double.NaN;
        var proto = Protocol.Other;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = ignored ? Name.Other : Classify(ref reader, s_eventNames);
            reader.Read();
            switch (name)
            {
                case Name.EventType:
                    if (reader.TokenType != JsonTokenType.String) return EveLineResult.General;
                    if (reader.ValueTextEquals("flow"u8)) haveType = true;
                    else if (IsReadElsewhere(ref reader)) return EveLineResult.General;
                    else ignored = true;
                    break;
                case Name.SrcIp:
                    if (!TryIp(ref reader, out var src)) return EveLineResult.General;
                    f.Source = src;
                    haveSrc = true;
                    break;
                case Name.DestIp:
                    if (!TryIp(ref reader, out var dst)) return EveLineResult.General;
                    f.Destination = dst;
                    haveDst = true;
                    break;
                case Name.SrcPort: f.SourcePort = Port(ref reader); break;
                case Name.DestPort: f.DestinationPort = Port(ref reader); break;
                case Name.FlowId:
                    // Unique per flow, so not cached; a flow id of up to 20 digits is kept packed, its text made only when
                    // read (issue 5). The general path's cached string has the same text.
                    if (reader.TokenType == JsonTokenType.Number) f.SetUidFromUtf8(reader.ValueSpan);
                    else f.Uid = "";
                    break;
                case Name.Proto:
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped) proto = FieldText.ParseProtocol(reader.ValueSpan);
                    else if (reader.TokenType != JsonTokenType.Null) return EveLineResult.General;
                    break;
                case Name.AppProto:
                    if (reader.TokenType == JsonTokenType.Number) return EveLineResult.General;
                    f.Service = reader.TokenType != JsonTokenType.String || reader.ValueTextEquals("failed"u8) ? ""
                        : reader.ValueIsEscaped ? reader.GetString()! : _strings.Get(reader.ValueSpan);
                    break;
                case Name.CommunityId:
                    if (reader.TokenType != JsonTokenType.String) break;
                    // ASCII without escapes decodes as GetString would; anything else is decoded (and checked) now.
                    if (!reader.ValueIsEscaped && Ascii.IsValid(reader.ValueSpan) && _strings.TryKeep(reader.ValueSpan, out var block, out ushort at))
                    {
                        f.SetCommunityIdText(block, at);
                    }
                    else
                    {
                        f.CommunityId = reader.GetString()!;
                    }

                    break;
                case Name.Flow:
                    if (reader.TokenType != JsonTokenType.StartObject || !ReadFlow(ref reader, f, ref haveStart, ref end)) return EveLineResult.General;
                    haveFlow = true;
                    break;
            }

            // Objects and arrays not read above (Skip does nothing on a value already read).
            reader.Skip();
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return EveLineResult.General;
        if (ignored) return EveLineResult.Ignored;
        if (!haveType || !haveSrc || !haveDst || !haveFlow || !haveStart) return EveLineResult.General;
        if (!double.IsNaN(end) && end >= f.Timestamp) f.Duration = end - f.Timestamp;
        f.Protocol = proto;
        f.ProtocolNumber = proto is Protocol.Other or Protocol.Arp ? (byte)0 : (byte)proto;
        f.Established = SlipsFlowState.IsEstablished(AsciiBytes(f.StateText, stackalloc byte[64]), f.TotalPackets);
        flow = f;
        return EveLineResult.Flow;
    }

    /// <summary>The properties of an event and of its "flow" object that the fast path reads.</summary>
    private enum Name
    {
        Other,
        EventType,
        SrcIp,
        DestIp,
        SrcPort,
        DestPort,
        FlowId,
        Proto,
        AppProto,
        CommunityId,
        Flow,
        Start,
        End,
        PktsToServer,
        PktsToClient,
        BytesToServer,
        BytesToClient,
        State,
    }

    private static readonly (byte[] Text, Name Name)[] s_eventNames =
    [
        ("event_type"u8.ToArray(), Name.EventType), ("src_ip"u8.ToArray(), Name.SrcIp), ("dest_ip"u8.ToArray(), Name.DestIp),
        ("src_port"u8.ToArray(), Name.SrcPort), ("dest_port"u8.ToArray(), Name.DestPort), ("flow_id"u8.ToArray(), Name.FlowId),
        ("proto"u8.ToArray(), Name.Proto), ("app_proto"u8.ToArray(), Name.AppProto), ("community_id"u8.ToArray(), Name.CommunityId),
        ("flow"u8.ToArray(), Name.Flow),
    ];

    private static readonly (byte[] Text, Name Name)[] s_flowNames =
    [
        ("start"u8.ToArray(), Name.Start), ("end"u8.ToArray(), Name.End), ("pkts_toserver"u8.ToArray(), Name.PktsToServer),
        ("pkts_toclient"u8.ToArray(), Name.PktsToClient), ("bytes_toserver"u8.ToArray(), Name.BytesToServer),
        ("bytes_toclient"u8.ToArray(), Name.BytesToClient), ("state"u8.ToArray(), Name.State),
    ];

    /// <summary>The property name under the reader among <paramref name="names"/> (escapes allowed), else Other.</summary>
    private static Name Classify(ref Utf8JsonReader reader, (byte[] Text, Name Name)[] names)
    {
        foreach (var (text, name) in names)
        {
            if (reader.ValueTextEquals(text)) return name;
        }

        return Name.Other;
    }

    /// <summary>Event types the general reader makes records of (besides flow).</summary>
    private static bool IsReadElsewhere(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("dns"u8) || reader.ValueTextEquals("http"u8) || reader.ValueTextEquals("tls"u8) || reader.ValueTextEquals("ssh"u8);

    /// <summary>The members of "flow"; false when one of them needs the general path.</summary>
    private bool ReadFlow(ref Utf8JsonReader reader, FlowRecord f, ref bool haveStart, ref double end)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = Classify(ref reader, s_flowNames);
            reader.Read();
            switch (name)
            {
                case Name.Start:
                    if (!TryTime(ref reader, out double start)) return false;
                    f.Timestamp = start;
                    haveStart = true;
                    break;
                case Name.End:
                    if (reader.TokenType == JsonTokenType.String && !IsPlainAscii(ref reader)) return false;
                    end = TryTime(ref reader, out double e) ? e : double.NaN;
                    break;
                case Name.PktsToServer: f.SourcePackets = Long(ref reader); break;
                case Name.PktsToClient: f.DestinationPackets = Long(ref reader); break;
                case Name.BytesToServer: f.SourceBytes = f.SourceIpBytes = Long(ref reader); break;
                case Name.BytesToClient: f.DestinationBytes = f.DestinationIpBytes = Long(ref reader); break;
                case Name.State:
                    if (reader.TokenType == JsonTokenType.String && IsPlainAscii(ref reader)) f.StateText = _strings.Get(reader.ValueSpan);
                    else if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number) return false;
                    else f.StateText = "";
                    break;
            }

            reader.Skip();
        }

        return reader.TokenType == JsonTokenType.EndObject;
    }

    /// <summary>An address the general reader reads the same way: a plain string that is not an unusual IPv4 form.</summary>
    private static bool TryIp(ref Utf8JsonReader reader, out IpAddr ip)
    {
        ip = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
        var v = reader.ValueSpan;

        // IPAddress.TryParse (the general path) reads a leading zero as octal; leave those forms to it.
        for (int i = 0; i + 1 < v.Length; i++)
        {
            if (v[i] == (byte)'0' && (i == 0 || v[i - 1] == (byte)'.') && char.IsAsciiDigit((char)v[i + 1])) return false;
        }

        return FieldText.TryParseIp(v, out ip);
    }

    private static ushort Port(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetUInt16(out ushort p) ? p : (ushort)0;

    private static long Long(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number) return 0;

        if (reader.TryGetInt64(out long l)) return Math.Max(0, l);
        return reader.TryGetDouble(out double d) && d > 0 && d < 9e18 ? (long)d : 0;
    }

    private static bool TryTime(ref Utf8JsonReader reader, out double ts)
    {
        ts = 0;
        if (reader.TokenType == JsonTokenType.Number) return reader.TryGetDouble(out ts);
        if (reader.TokenType != JsonTokenType.String) return false;

        var v = reader.ValueSpan;
        return IsPlainAscii(ref reader) && v.Length <= MaxTimeLength && FieldText.TryParseTime(v, out ts);
    }

    /// <summary>A string the general reader would see byte for byte (no escapes, ASCII only).</summary>
    private static bool IsPlainAscii(ref Utf8JsonReader reader) => !reader.ValueIsEscaped && Ascii.IsValid(reader.ValueSpan);

    private static ReadOnlySpan<byte> AsciiBytes(string s, Span<byte> buffer)
    {
        if (s.Length > buffer.Length) return Encoding.ASCII.GetBytes(s);
        int n = Encoding.ASCII.GetBytes(s, buffer);
        return buffer[..n];
    }
}

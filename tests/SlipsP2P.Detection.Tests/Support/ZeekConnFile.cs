using System.Globalization;
using System.Text.Json;

namespace SlipsP2P.Detection.Tests.Support;

/// <summary>A test-only reader of Zeek conn.log files, TSV (with a #fields header) or JSON lines.</summary>
internal static class ZeekConnFile
{
    public static List<FlowRecord> Read(string path)
    {
        var flows = new List<FlowRecord>();
        string[]? fields = null;
        long lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            if (line.StartsWith("#fields", StringComparison.Ordinal))
            {
                fields = line.Split('\t')[1..];
                continue;
            }

            if (line[0] == '#') continue;
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (line[0] == '{')
            {
                using var doc = JsonDocument.Parse(line);
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    values[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }
            else if (fields is not null)
            {
                var v = line.Split('\t');
                for (int i = 0; i < Math.Min(v.Length, fields.Length); i++) values[fields[i]] = v[i];
            }

            if (!values.TryGetValue("id.orig_h", out var src) || !IpAddr.TryParse(src, out var s)) continue;
            if (!values.TryGetValue("id.resp_h", out var dst) || !IpAddr.TryParse(dst, out var d)) continue;
            var state = ConnStates.Parse(Get(values, "conn_state"));
            var flow = new FlowRecord
            {
                Timestamp = Double(Get(values, "ts")),
                Uid = Get(values, "uid"),
                Source = s,
                Destination = d,
                SourcePort = (ushort)Long(Get(values, "id.orig_p")),
                DestinationPort = (ushort)Long(Get(values, "id.resp_p")),
                Protocol = ProtocolNames.Parse(Get(values, "proto")),
                Service = Get(values, "service") is "-" ? "" : Get(values, "service"),
                Duration = Double(Get(values, "duration")),
                SourceBytes = Long(Get(values, "orig_bytes")),
                DestinationBytes = Long(Get(values, "resp_bytes")),
                SourcePackets = Long(Get(values, "orig_pkts")),
                DestinationPackets = Long(Get(values, "resp_pkts")),
                State = state,
                History = Get(values, "history") is "-" ? "" : Get(values, "history"),
                SourceLine = lineNumber,
            };
            flow.Established = state is not (ConnState.S0 or ConnState.REJ or ConnState.RSTOS0 or ConnState.RSTRH or ConnState.SH or ConnState.SHR or ConnState.Unknown);
            flows.Add(flow);
        }

        return flows;
    }

    private static string Get(Dictionary<string, string> v, string key) => v.TryGetValue(key, out var s) ? s : "";

    private static double Double(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0;

    private static long Long(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : 0;
}

using System.Globalization;

namespace SlipsP2P.Detection.Tests.Support;

/// <summary>
/// A test-only reader of Argus binetflow CSV/TSV files, so that these tests do not depend on the ingest project.
/// Columns are found by header name; the established state follows Slips' reading of Argus and Zeek states.
/// </summary>
internal static class BinetflowFile
{
    public static List<FlowRecord> Read(string path)
    {
        var flows = new List<FlowRecord>();
        using var reader = new StreamReader(path);
        string? header = reader.ReadLine() ?? throw new InvalidDataException($"{path}: empty file");
        char sep = header.Contains('\t', StringComparison.Ordinal) ? '\t' : ',';
        var cols = header.Split(sep);
        int Col(string name) => Array.FindIndex(cols, c => c.Trim().Equals(name, StringComparison.OrdinalIgnoreCase));
        int start = Col("StartTime"), dur = Col("Dur"), proto = Col("Proto"), src = Col("SrcAddr"), sport = Col("Sport"),
            dst = Col("DstAddr"), dport = Col("Dport"), state = Col("State"), totPkts = Col("TotPkts"), totBytes = Col("TotBytes"),
            srcBytes = Col("SrcBytes"), srcPkts = Col("SrcPkts");
        string? line;
        long lineNumber = 1;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            var f = line.Split(sep);
            if (f.Length < cols.Length - 1) continue;
            if (!IpAddr.TryParse(f[src].Trim(), out var s) || !IpAddr.TryParse(f[dst].Trim(), out var d)) continue;
            var p = ProtocolNames.Parse(f[proto].Trim());
            if (p == Protocol.Other) continue;
            var time = DateTime.ParseExact(f[start].Trim(), "yyyy/MM/dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            long tp = Long(f[totPkts]), tb = Long(f[totBytes]), sb = Long(f[srcBytes]);
            long sp = srcPkts >= 0 ? Long(f[srcPkts]) : 0;
            int sPort = Port(f[sport]), dPort = Port(f[dport]);
            string st = f[state].Trim();
            var flow = new FlowRecord
            {
                Timestamp = (time - DateTime.UnixEpoch).TotalSeconds,
                Duration = double.Parse(f[dur], CultureInfo.InvariantCulture),
                Protocol = p,
                ProtocolNumber = (byte)p,
                Source = s,
                Destination = d,
                SourceBytes = sb,
                DestinationBytes = Math.Max(0, tb - sb),
                SourcePackets = sp,
                DestinationPackets = Math.Max(0, tp - sp),
                StateText = st,
                SourceLine = lineNumber,
                Uid = "L" + lineNumber.ToString(CultureInfo.InvariantCulture),
            };
            if (p is Protocol.Icmp or Protocol.Icmp6)
            {
                // Argus puts the ICMP type in the low byte of Sport and the code in the high byte; Zeek's convention
                // (which the detectors use) is type in the source port and code in the destination port.
                flow.SourcePort = (ushort)(sPort & 0xFF);
                flow.DestinationPort = (ushort)((sPort >> 8) & 0xFF);
            }
            else
            {
                flow.SourcePort = (ushort)Math.Max(0, sPort);
                flow.DestinationPort = (ushort)Math.Max(0, dPort);
            }

            flow.Established = IsEstablished(st, tp);
            flows.Add(flow);
        }

        return flows;
    }

    private static long Long(string s) => long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : 0;

    private static int Port(string s)
    {
        s = s.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return int.TryParse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int h) ? h : 0;
        }

        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v is >= 0 and <= 65535 ? v : 0;
    }

    private static bool IsEstablished(string state, long packets)
    {
        switch (state)
        {
            case "S0" or "REJ" or "RSTOS0" or "RSTRH" or "SH" or "SHR":
                return false;
            case "S1" or "SF" or "S2" or "S3" or "RSTO" or "RSTR" or "OTH":
                return true;
        }

        int us = state.IndexOf('_', StringComparison.Ordinal);
        if (us >= 0)
        {
            string pre = state[..us], suf = state[(us + 1)..];
            bool synAck(string x) => x.Contains('S', StringComparison.Ordinal) && x.Contains('A', StringComparison.Ordinal);
            if (synAck(pre) && synAck(suf)) return true;
            return pre.Contains("PA", StringComparison.Ordinal) && suf.Contains("PA", StringComparison.Ordinal);
        }

        if (state.Contains("ECO", StringComparison.Ordinal) || state.Contains("CON", StringComparison.Ordinal)
            || state.Contains("EST", StringComparison.Ordinal) || state.Contains("UNK", StringComparison.Ordinal)) return true;
        if (state.Contains("RST", StringComparison.Ordinal) || state.Contains("FIN", StringComparison.Ordinal)) return packets > 3;
        return false;
    }
}

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Slips' summary of a flow's state text into "Established" or "Not Established"
/// (StratosphereLinuxIPS slips_files/common/slips_utils.py, get_final_state_from_flags, and the check_* helpers it
/// calls). The same function serves Zeek conn_state, Argus state, Suricata flow.state and nfdump flags, as in Slips;
/// the order of the checks matters and is kept.
/// </summary>
internal static class SlipsFlowState
{
    /// <summary>True when Slips would call a flow with this state text and total packet count "Established".</summary>
    public static bool IsEstablished(ReadOnlySpan<byte> state, long totalPackets)
    {
        // Suricata: flow.state new/established/closed (substring tests, case-sensitive, as Slips does).
        if (state.IndexOf("new"u8) >= 0 || state.IndexOf("established"u8) >= 0) return true;
        if (state.IndexOf("closed"u8) >= 0) return false;

        // Zeek conn_state. Slips lists RSTP (a name Zeek never writes) where RSTR was meant, so RSTR falls through to
        // the single-word TCP rule below ("RST" with more than 3 packets is established); we keep that behaviour.
        if (state.SequenceEqual("S0"u8) || state.SequenceEqual("REJ"u8) || state.SequenceEqual("RSTOS0"u8)
            || state.SequenceEqual("RSTRH"u8) || state.SequenceEqual("SH"u8) || state.SequenceEqual("SHR"u8))
        {
            return false;
        }

        if (state.SequenceEqual("S1"u8) || state.SequenceEqual("SF"u8) || state.SequenceEqual("S2"u8)
            || state.SequenceEqual("S3"u8) || state.SequenceEqual("RSTO"u8) || state.SequenceEqual("OTH"u8))
        {
            return true;
        }

        int us = state.IndexOf((byte)'_');
        if (us >= 0)
        {
            // Argus "-z" two-sided flags: source flags before '_', destination flags after the first '_'.
            var pre = state[..us];
            var rest = state[(us + 1)..];
            int us2 = rest.IndexOf((byte)'_');
            var suf = us2 >= 0 ? rest[..us2] : rest;
            if (pre.Contains((byte)'S') && pre.Contains((byte)'A') && suf.Contains((byte)'S') && suf.Contains((byte)'A')) return true;
            if (pre.IndexOf("PA"u8) >= 0 && suf.IndexOf("PA"u8) >= 0) return true;
            return false; // ECO/ECR/URH/URP give ICMP names in Slips, which are not "Established" either
        }

        // One word: ICMP, then UDP, then TCP without -z (Slips' IndexError branch).
        if (state.IndexOf("ECO"u8) >= 0 || state.IndexOf("UNK"u8) >= 0) return true;
        if (state.IndexOf("CON"u8) >= 0) return true;
        if (state.IndexOf("INT"u8) >= 0) return false;
        if (state.IndexOf("EST"u8) >= 0) return true;
        if (state.IndexOf("RST"u8) >= 0 || state.IndexOf("FIN"u8) >= 0) return totalPackets > 3;
        return false;
    }
}

namespace SlipsP2P.Core;

/// <summary>Zeek's conn.log connection states (see Zeek's base/protocols/conn/main.zeek).</summary>
public enum ConnState : byte
{
    /// <summary>No state known (flow files that carry none).</summary>
    Unknown = 0,
    /// <summary>Connection attempt seen, no reply.</summary>
    S0,
    /// <summary>Connection established, not terminated.</summary>
    S1,
    /// <summary>Normal establishment and termination.</summary>
    SF,
    /// <summary>Connection attempt rejected.</summary>
    REJ,
    /// <summary>Established, originator sent FIN, no FIN from responder.</summary>
    S2,
    /// <summary>Established, responder sent FIN, no FIN from originator.</summary>
    S3,
    /// <summary>Established, originator aborted (RST).</summary>
    RSTO,
    /// <summary>Responder sent a RST.</summary>
    RSTR,
    /// <summary>Originator sent SYN then RST, no SYN-ACK.</summary>
    RSTOS0,
    /// <summary>Responder sent SYN-ACK then RST, no SYN from originator.</summary>
    RSTRH,
    /// <summary>Originator sent SYN then FIN, no SYN-ACK (half-open).</summary>
    SH,
    /// <summary>Responder sent SYN-ACK then FIN, no SYN from originator.</summary>
    SHR,
    /// <summary>No SYN seen, midstream traffic.</summary>
    OTH,
}

/// <summary>Helpers over <see cref="ConnState"/>.</summary>
public static class ConnStates
{
    /// <summary>Parses Zeek's state names; unknown text gives <see cref="ConnState.Unknown"/>.</summary>
    public static ConnState Parse(ReadOnlySpan<char> s) =>
        Enum.TryParse<ConnState>(s, ignoreCase: false, out var v) && Enum.IsDefined(v) ? v : ConnState.Unknown;

    /// <summary>The Zeek name, "-" for unknown.</summary>
    public static string ToZeek(this ConnState s) => s == ConnState.Unknown ? "-" : s.ToString();
}

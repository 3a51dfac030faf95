// yamux spec, "GoAway": https://github.com/hashicorp/yamux/blob/master/spec.md
namespace SlipsP2P.Libp2p.Yamux;

/// <summary>The error code carried by a GoAway frame.</summary>
public enum GoAwayCode : uint
{
    /// <summary>Normal termination.</summary>
    Normal = 0,

    /// <summary>The peer violated the protocol.</summary>
    ProtocolError = 1,

    /// <summary>Internal error.</summary>
    InternalError = 2,
}

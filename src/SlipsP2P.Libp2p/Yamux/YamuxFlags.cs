// yamux spec, "Flag field": https://github.com/hashicorp/yamux/blob/master/spec.md
namespace SlipsP2P.Libp2p.Yamux;

/// <summary>The yamux header flags.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The yamux spec calls this field 'flags'.")]
public enum YamuxFlags : ushort
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>Opens a stream, or requests a ping.</summary>
    Syn = 1,

    /// <summary>Acknowledges a stream open, or answers a ping.</summary>
    Ack = 2,

    /// <summary>Half-closes the sender's side of a stream.</summary>
    Fin = 4,

    /// <summary>Resets a stream.</summary>
    Rst = 8,
}

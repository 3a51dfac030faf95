// yamux spec, "Type field": https://github.com/hashicorp/yamux/blob/master/spec.md
namespace SlipsP2P.Libp2p.Yamux;

/// <summary>The yamux frame type.</summary>
public enum YamuxFrameType : byte
{
    /// <summary>Data; the length is the payload size.</summary>
    Data = 0,

    /// <summary>Window update; the length is the window delta.</summary>
    WindowUpdate = 1,

    /// <summary>Ping (stream 0); the length is an opaque value.</summary>
    Ping = 2,

    /// <summary>Go away (stream 0); the length is a <see cref="GoAwayCode"/>.</summary>
    GoAway = 3,
}

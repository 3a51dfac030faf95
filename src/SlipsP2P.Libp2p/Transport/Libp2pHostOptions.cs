using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Transport;

/// <summary>Host settings with documented defaults.</summary>
public sealed class Libp2pHostOptions
{
    /// <summary>The most connections at once (inbound and outbound). Default 128.</summary>
    public int MaxConnections { get; set; } = 128;

    /// <summary>The most inbound connections from one IP address. Default 16.</summary>
    public int MaxConnectionsPerIp { get; set; } = 16;

    /// <summary>Close a connection that has had no open stream for this long; zero disables. Default 5 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time for the whole upgrade (mss, Noise, mss, yamux). Default 10 s (js INBOUND_UPGRADE_TIMEOUT).</summary>
    public TimeSpan UpgradeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time to negotiate a stream's protocol. Default 10 s (js PROTOCOL_NEGOTIATION_TIMEOUT).</summary>
    public TimeSpan NegotiationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time for a TCP connect. Default 10 s.</summary>
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time for an identify exchange. Default 10 s.</summary>
    public TimeSpan IdentifyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Run identify on every new connection. Default true.</summary>
    public bool IdentifyOnConnect { get; set; } = true;

    /// <summary>Identify's protocolVersion. Default "ipfs/0.1.0" (as js).</summary>
    public string ProtocolVersion { get; set; } = "ipfs/0.1.0";

    /// <summary>Identify's agentVersion.</summary>
    public string AgentVersion { get; set; } = "slips-p2p/0.1.0";

    /// <summary>
    /// Offer /yamux/1.0.0 in the Noise handshake extensions; when the remote offers muxers too, the post-handshake
    /// multistream round is skipped (libp2p noise spec, "Early data / stream muxer negotiation"). Default false: js
    /// falls back to multistream when we send no list, which is the most widely tested path.
    /// </summary>
    public bool InlineMuxerNegotiation { get; set; }

    /// <summary>yamux settings (keep-alive, windows, stream limits).</summary>
    public YamuxOptions Yamux { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (MaxConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnections), "must be at least 1");
        if (MaxConnectionsPerIp < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnectionsPerIp), "must be at least 1");
        if (IdleTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(IdleTimeout));
        if (UpgradeTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(UpgradeTimeout));
        if (NegotiationTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(NegotiationTimeout));
        if (DialTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DialTimeout));
        if (IdentifyTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(IdentifyTimeout));
        ArgumentNullException.ThrowIfNull(Yamux);
        Yamux.Validate();
    }
}

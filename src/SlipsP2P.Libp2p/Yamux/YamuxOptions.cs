namespace SlipsP2P.Libp2p.Yamux;

/// <summary>yamux session settings. Defaults follow the spec and js-libp2p.</summary>
public sealed class YamuxOptions
{
    /// <summary>The spec's initial stream window, in each direction (256 KiB).</summary>
    public const uint DefaultWindow = 256 * 1024;

    /// <summary>The receive window we grant per stream. Default 256 KiB; at most 16 MiB.</summary>
    public uint ReceiveWindow { get; set; } = DefaultWindow;

    /// <summary>The largest Data frame payload we send. Default 16 KiB.</summary>
    public int MaxDataFrameSize { get; set; } = 16 * 1024;

    /// <summary>The most inbound streams open at once; more are refused with RST. Default 1000 (as js).</summary>
    public int MaxInboundStreams { get; set; } = 1000;

    /// <summary>The most outbound streams not yet acknowledged (spec SHOULD: 256).</summary>
    public int MaxUnacknowledgedStreams { get; set; } = 256;

    /// <summary>How often to ping the remote; zero disables keep-alive. Default 30 s (as js).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a ping may take before the session is considered dead. Default 20 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (ReceiveWindow < DefaultWindow || ReceiveWindow > 16 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveWindow), "must be between 256 KiB and 16 MiB");
        }

        if (MaxDataFrameSize < 1024 || MaxDataFrameSize > 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(MaxDataFrameSize));
        if (MaxInboundStreams < 1) throw new ArgumentOutOfRangeException(nameof(MaxInboundStreams));
        if (MaxUnacknowledgedStreams < 1) throw new ArgumentOutOfRangeException(nameof(MaxUnacknowledgedStreams));
        if (KeepAliveInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(KeepAliveInterval));
        if (PingTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PingTimeout));
    }
}

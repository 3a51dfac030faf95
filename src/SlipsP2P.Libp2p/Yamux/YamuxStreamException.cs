namespace SlipsP2P.Libp2p.Yamux;

/// <summary>A failure of one stream (reset by either side, or its session ended); the session may continue.</summary>
public sealed class YamuxStreamException : Exception
{
    /// <summary>Creates the exception.</summary>
    public YamuxStreamException(uint streamId, string message)
        : base(message)
    {
        StreamId = streamId;
    }

    /// <summary>Creates the exception.</summary>
    public YamuxStreamException()
        : base("yamux stream failed")
    {
    }

    /// <summary>Creates the exception.</summary>
    public YamuxStreamException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public YamuxStreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The stream id.</summary>
    public uint StreamId { get; }
}

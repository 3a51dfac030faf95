namespace SlipsP2P.Libp2p.Multistream;

/// <summary>multistream-select failed: bad framing, wrong header, or no protocol in common.</summary>
public sealed class MultistreamException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MultistreamException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MultistreamException()
        : base("multistream-select failed")
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public MultistreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the peer answered "na" to every proposal.</summary>
    public bool NotSupported { get; init; }
}

namespace SlipsP2P.Libp2p.Noise;

/// <summary>A Noise handshake or transport failure: the connection must be closed.</summary>
public sealed class NoiseException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NoiseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public NoiseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public NoiseException()
        : base("Noise failure")
    {
    }
}

namespace SlipsP2P.Libp2p.Yamux;

/// <summary>A failure that kills the whole yamux session; <see cref="Code"/> is sent in the GoAway frame.</summary>
public sealed class YamuxSessionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public YamuxSessionException(GoAwayCode code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Creates the exception.</summary>
    public YamuxSessionException()
        : this(GoAwayCode.InternalError, "yamux session failed")
    {
    }

    /// <summary>Creates the exception.</summary>
    public YamuxSessionException(string message)
        : this(GoAwayCode.InternalError, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public YamuxSessionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = GoAwayCode.InternalError;
    }

    /// <summary>The GoAway code.</summary>
    public GoAwayCode Code { get; }
}

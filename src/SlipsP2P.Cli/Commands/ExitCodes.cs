namespace SlipsP2P.Cli.Commands;

/// <summary>Process exit codes (sysexits-like).</summary>
internal static class ExitCodes
{
    /// <summary>Analysed.</summary>
    public const int Ok = 0;

    /// <summary>Nothing could be analysed: the input is missing, empty or unreadable.</summary>
    public const int InputError = 1;

    /// <summary>Bad command line or configuration.</summary>
    public const int UsageError = 2;

    /// <summary>
    /// This build cannot do what was asked (sysexits' EX_UNAVAILABLE, as the launcher's "no .NET SDK"): training with
    /// ML.NET in a native (ahead-of-time compiled) build.
    /// </summary>
    public const int Unavailable = 69;

    /// <summary>Stopped by Ctrl-C or SIGTERM before the end of a file: what was read was analysed and written (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}

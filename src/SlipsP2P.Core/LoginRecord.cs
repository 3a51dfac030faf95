namespace SlipsP2P.Core;

/// <summary>
/// A remote-login session (telnet, rlogin, rsh): from Zeek login.log, or recognised in a capture from the server's
/// login prompt and the client's answer. <see cref="NetEvent.Source"/> is the client, <see cref="NetEvent.Destination"/>
/// the server.
/// </summary>
public sealed class LoginRecord : NetEvent
{
    /// <summary>The service: "telnet", "rlogin" or "rsh".</summary>
    public string Service { get; set; } = "telnet";

    /// <summary>The user name tried, when known, or empty.</summary>
    public string User { get; set; } = "";

    /// <summary>True when the server let the user in, false when it refused, null when the server's text does not tell.</summary>
    public bool? Success { get; set; }
}

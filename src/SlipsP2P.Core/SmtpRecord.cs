namespace SlipsP2P.Core;

/// <summary>
/// One SMTP transaction (Zeek smtp.log, Suricata eve smtp events): <see cref="NetEvent.Source"/> is the client,
/// <see cref="NetEvent.Destination"/> the mail server.
/// </summary>
public sealed class SmtpRecord : NetEvent
{
    /// <summary>The server's last reply in the transaction (Zeek last_reply), e.g. "535 5.7.8 Authentication failed", or empty.</summary>
    public string LastReply { get; set; } = "";

    /// <summary>The envelope sender (MAIL FROM), or empty.</summary>
    public string MailFrom { get; set; } = "";

    /// <summary>The greeting name the client gave (HELO/EHLO), or empty.</summary>
    public string Helo { get; set; } = "";
}

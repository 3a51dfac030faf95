using SlipsP2P.Core;

namespace SlipsP2P.Ingest.App;

/// <summary>
/// Telnet login attempts read from a session's first packets (RFC 854): the server's text with the option
/// negotiation (IAC sequences) removed is watched for a login prompt ("login:", "username:"), the client's next line
/// is the user name, then a "password:" prompt and a line typed blind (never kept), then the server's answer:
/// "Login incorrect" and the like make a failed <see cref="LoginRecord"/>, a shell prompt or a greeting ("Last
/// login", "Welcome") a successful one. A session that ends while the answer is awaited gives a record whose outcome
/// is unknown. Everything is bounded: the text windows, the user name, the attempts and packets looked at.
/// </summary>
internal sealed class TelnetLogin
{
    /// <summary>Payload packets per direction looked at (a client may type one character per packet).</summary>
    public const int MaxPackets = 250;

    /// <summary>Login attempts reported per session.</summary>
    public const int MaxAttempts = 16;

    /// <summary>Longest user name kept.</summary>
    public const int MaxUser = 64;

    private const int ServerWindow = 96;
    private const int ClientLine = 128;

    private const byte Iac = 255;
    private const byte Sb = 250;
    private const byte Se = 240;

    private readonly byte[] _server = new byte[ServerWindow];
    private readonly byte[] _client = new byte[ClientLine];
    private int _serverLength;
    private int _clientLength;
    private Phase _phase;
    private IacState _serverIac;
    private IacState _clientIac;
    private string _user = "";
    private double _attemptTime;
    private int _attempts;

    private enum Phase : byte
    {
        AwaitLoginPrompt,
        AwaitUser,
        AwaitPasswordPrompt,
        AwaitPassword,
        AwaitOutcome,
        Done,
    }

    private enum IacState : byte
    {
        Data,
        Command,
        Option,
        Subnegotiation,
        SubnegotiationIac,
    }

    /// <summary>True for a TCP flow to a telnet port (23, 2323).</summary>
    public static bool IsTelnetPort(byte protocol, ushort respPort) => protocol == 6 && respPort is 23 or 2323;

    /// <summary>Takes one payload packet; emits a record per finished attempt into <paramref name="sink"/> and returns how many.</summary>
    public int OnPayload(in FlowIdentity id, PackedUid uid, bool fromOrig, ReadOnlySpan<byte> payload, double timestamp, IEventSink sink)
    {
        if (_phase == Phase.Done) return 0;
        int emitted = 0;
        foreach (byte b in payload)
        {
            ref IacState iac = ref fromOrig ? ref _clientIac : ref _serverIac;
            if (!Data(ref iac, b)) continue;
            if (fromOrig) emitted += OnClientByte(b, timestamp);
            else emitted += OnServerByte(in id, uid, b, timestamp, sink);
            if (_phase == Phase.Done) break;
        }

        return emitted;
    }

    /// <summary>The session ended: an attempt still waiting for the server's answer is reported with an unknown outcome.</summary>
    public int OnFinish(in FlowIdentity id, PackedUid uid, IEventSink sink)
    {
        if (_phase != Phase.AwaitOutcome) return 0;
        Emit(in id, uid, null, _attemptTime, sink);
        return 1;
    }

    /// <summary>Whether <paramref name="b"/> is data (not part of an IAC command), updating the direction's IAC state.</summary>
    private static bool Data(ref IacState state, byte b)
    {
        switch (state)
        {
            case IacState.Data:
                if (b != Iac) return true;
                state = IacState.Command;
                return false;
            case IacState.Command:
                // IAC IAC is a literal 255; WILL/WONT/DO/DONT take one option byte; SB runs to IAC SE.
                state = b switch
                {
                    Iac => IacState.Data,
                    Sb => IacState.Subnegotiation,
                    >= 251 => IacState.Option,
                    _ => IacState.Data,
                };
                return b == Iac;
            case IacState.Option:
                state = IacState.Data;
                return false;
            case IacState.Subnegotiation:
                if (b == Iac) state = IacState.SubnegotiationIac;
                return false;
            default:
                state = b == Se ? IacState.Data : IacState.Subnegotiation;
                return false;
        }
    }

    private int OnClientByte(byte b, double timestamp)
    {
        if (b is (byte)'\r' or (byte)'\n' or 0)
        {
            if (_clientLength == 0) return 0;
            if (_phase == Phase.AwaitUser)
            {
                _user = Text(_client.AsSpan(0, Math.Min(_clientLength, MaxUser)));
                _phase = Phase.AwaitPasswordPrompt;
            }
            else if (_phase == Phase.AwaitPassword)
            {
                // The password is not kept: only that one was sent.
                _attemptTime = timestamp;
                _phase = Phase.AwaitOutcome;
            }

            _clientLength = 0;
            return 0;
        }

        if (b is 8 or 127)
        {
            if (_clientLength > 0) _clientLength--;
        }
        else if (_clientLength < _client.Length && _phase is Phase.AwaitUser or Phase.AwaitPassword)
        {
            _client[_clientLength++] = b;
        }

        return 0;
    }

    private int OnServerByte(in FlowIdentity id, PackedUid uid, byte b, double timestamp, IEventSink sink)
    {
        if (_serverLength == _server.Length)
        {
            _server.AsSpan(ServerWindow / 2).CopyTo(_server);
            _serverLength = ServerWindow / 2;
        }

        _server[_serverLength++] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
        var text = _server.AsSpan(0, _serverLength);
        switch (_phase)
        {
            case Phase.AwaitLoginPrompt:
                if (EndsWithPrompt(text, "login:"u8) || EndsWithPrompt(text, "username:"u8))
                {
                    _phase = Phase.AwaitUser;
                    _clientLength = 0;
                    _serverLength = 0;
                }

                break;
            case Phase.AwaitUser:
            case Phase.AwaitPasswordPrompt:
                if (EndsWithPrompt(text, "password:"u8))
                {
                    // Some servers ask for the password even when the user line was not seen (line mode quirks).
                    _phase = Phase.AwaitPassword;
                    _clientLength = 0;
                    _serverLength = 0;
                }

                break;
            case Phase.AwaitOutcome:
                // "Last failed login: ..." is printed after a successful login (pam_lastlog): not a failure.
                if (text.EndsWith("incorrect"u8) || (text.EndsWith("failed"u8) && !text.EndsWith("last failed"u8))
                    || text.EndsWith("denied"u8) || text.EndsWith("invalid"u8))
                {
                    Emit(in id, uid, false, timestamp, sink);
                    return 1;
                }

                if (text.EndsWith("last login"u8) || text.EndsWith("last failed login"u8) || text.EndsWith("welcome"u8) || IsShellPrompt(text))
                {
                    Emit(in id, uid, true, timestamp, sink);
                    _phase = Phase.Done;
                    return 1;
                }

                if (EndsWithPrompt(text, "login:"u8) || EndsWithPrompt(text, "username:"u8))
                {
                    // A new prompt without a message: the previous attempt failed.
                    Emit(in id, uid, false, timestamp, sink);
                    if (_phase != Phase.Done) _phase = Phase.AwaitUser;
                    return 1;
                }

                break;
        }

        return 0;
    }

    private void Emit(in FlowIdentity id, PackedUid uid, bool? success, double timestamp, IEventSink sink)
    {
        var r = id.Stamp(new LoginRecord(), uid, timestamp);
        r.Service = "telnet";
        r.User = _user;
        r.Success = success;
        sink.OnEvent(r);
        _serverLength = 0;
        _user = "";
        _phase = ++_attempts >= MaxAttempts ? Phase.Done : Phase.AwaitLoginPrompt;
    }

    private static bool EndsWithPrompt(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prompt) => text.TrimEnd((byte)' ').EndsWith(prompt);

    /// <summary>"user@host:~$ ", "root@box:/# ", "~ # ", "> ": a prompt char then a space ending the text, after a login.</summary>
    private static bool IsShellPrompt(ReadOnlySpan<byte> text) =>
        text.Length >= 2 && text[^1] == (byte)' ' && text[^2] is (byte)'$' or (byte)'#' or (byte)'>' or (byte)'%';

    private static string Text(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[MaxUser];
        int n = 0;
        foreach (byte b in bytes)
        {
            if (n < chars.Length && b is >= 0x20 and < 0x7f) chars[n++] = (char)b;
        }

        return new string(chars[..n]);
    }
}

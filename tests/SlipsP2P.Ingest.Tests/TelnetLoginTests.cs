using System.Text;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using static SlipsP2P.Ingest.Tests.PacketBuilder;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// Telnet logins recognised from packets (synthetic frames shaped like a busybox/inetutils telnetd session: option
/// negotiation, prompts, the client typing one character per packet, "Login incorrect", a shell prompt).
/// </summary>
public sealed class TelnetLoginTests
{
    private sealed class Session
    {
        private readonly FlowTable _table;
        private uint _clientSeq = 101;
        private uint _serverSeq = 501;
        private double _ts = 1;

        public Session(PcapCollectingSink sink, ushort port = 23)
        {
            Port = port;
            _table = new FlowTable(new AnalysisOptions(), sink);
            Feed(Ipv4("10.0.0.5", "10.0.0.23", 6, Tcp(40000, Port, 100, 0, 0x02)));
            Feed(Ipv4("10.0.0.23", "10.0.0.5", 6, Tcp(Port, 40000, 500, 101, 0x12)));
        }

        public ushort Port { get; }

        public void Server(byte[] data)
        {
            Feed(Ipv4("10.0.0.23", "10.0.0.5", 6, Tcp(Port, 40000, _serverSeq, _clientSeq, 0x18, data)));
            _serverSeq += (uint)data.Length;
        }

        public void Server(string text) => Server(Encoding.ASCII.GetBytes(text));

        /// <summary>The client types <paramref name="line"/> one character per packet, as telnet in character mode does.</summary>
        public void TypeLine(string line, bool echo)
        {
            foreach (char c in line + "\r")
            {
                byte[] one = [(byte)c];
                Feed(Ipv4("10.0.0.5", "10.0.0.23", 6, Tcp(40000, Port, _clientSeq, _serverSeq, 0x18, one)));
                _clientSeq++;
                if (echo) Server(c == '\r' ? "\r\n" : c.ToString());
            }
        }

        public void Finish() => _table.Flush();

        private void Feed(byte[] ip)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, ip, ref p);
            _table.Process(ref p, _ts, 1);
            _ts += 0.05;
        }
    }

    // IAC DO ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC SB TERMINAL-TYPE SEND IAC SE.
    private static readonly byte[] s_negotiation = [255, 253, 1, 255, 251, 3, 255, 250, 24, 1, 255, 240];

    [Fact]
    public void FlowTable_FailedThenSuccessfulLogin_TwoLoginRecords()
    {
        var sink = new PcapCollectingSink();
        var s = new Session(sink);
        s.Server(s_negotiation);
        s.Server("\r\nbox login: ");
        s.TypeLine("root", echo: true);
        s.Server("Password: ");
        s.TypeLine("secret", echo: false);
        s.Server("\r\nLogin incorrect\r\nbox login: ");
        s.TypeLine("admin", echo: true);
        s.Server("Password: ");
        s.TypeLine("admin123", echo: false);
        s.Server("\r\n\r\nBusyBox v1.35.0 built-in shell (ash)\r\n\r\n~ # ");
        s.Finish();

        var logins = sink.Events.OfType<LoginRecord>().ToList();
        Assert.Equal(2, logins.Count);
        Assert.Equal(("root", (bool?)false), (logins[0].User, logins[0].Success));
        Assert.Equal(("admin", (bool?)true), (logins[1].User, logins[1].Success));
        Assert.All(logins, l => Assert.Equal("telnet", l.Service));
        Assert.All(logins, l => Assert.Equal((IpAddr.Parse("10.0.0.5"), IpAddr.Parse("10.0.0.23"), (ushort)23), (l.Source, l.Destination, l.DestinationPort)));
        FlowRecord f = Assert.Single(sink.Flows);
        Assert.Equal(f.Uid, logins[0].Uid);
        Assert.Equal("telnet", f.Service);
    }

    [Fact]
    public void FlowTable_LineModeClientAndClosedAfterPassword_UnknownOutcome()
    {
        var sink = new PcapCollectingSink();
        var s = new Session(sink, port: 2323);
        s.Server("login: ");
        s.TypeLine("guest", echo: false);
        s.Server("Password:");
        s.TypeLine("x", echo: false);
        s.Finish();

        var login = Assert.Single(sink.Events.OfType<LoginRecord>());
        Assert.Equal("guest", login.User);
        Assert.Null(login.Success);
    }

    [Fact]
    public void FlowTable_ThreeFailuresReprompted_ThreeFailedRecords()
    {
        var sink = new PcapCollectingSink();
        var s = new Session(sink);
        s.Server("Username: ");
        for (int i = 0; i < 3; i++)
        {
            s.TypeLine("user" + i, echo: true);
            s.Server("Password: ");
            s.TypeLine("pw", echo: false);
            // Some servers print only a new prompt after a failure.
            s.Server("\r\nUsername: ");
        }

        s.Finish();
        var logins = sink.Events.OfType<LoginRecord>().ToList();
        Assert.Equal(["user0", "user1", "user2"], logins.Select(l => l.User));
        Assert.All(logins, l => Assert.False(l.Success));
    }

    [Fact]
    public void FlowTable_TelnetPortWithoutPrompt_NoLoginRecord()
    {
        var sink = new PcapCollectingSink();
        var s = new Session(sink);
        s.Server(s_negotiation);
        s.Server("Connection refused by policy\r\n");
        s.TypeLine("hello", echo: false);
        s.Finish();
        Assert.Empty(sink.Events.OfType<LoginRecord>());
    }

    [Fact]
    public void FlowTable_LastFailedLoginBanner_IsSuccess()
    {
        var sink = new PcapCollectingSink();
        var s = new Session(sink);
        s.Server("login: ");
        s.TypeLine("alice", echo: true);
        s.Server("Password: ");
        s.TypeLine("pw", echo: false);
        s.Server("\r\nLast failed login: Mon Nov 23 00:01:02 UTC 2026 on pts/1\r\nalice@box:~$ ");
        s.Finish();
        var login = Assert.Single(sink.Events.OfType<LoginRecord>());
        Assert.True(login.Success);
    }
}

using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

/// <summary>Zeek smtp.log (JSON and TSV) and login.log read into SMTP and login records.</summary>
public sealed class ZeekSmtpLoginTests
{
    [Fact]
    public void Run_Test14SmtpLogJson_FiveTransactionsWithLastReply()
    {
        string path = Requires.Dataset("test14-malicious-zeek-dir/smtp.log");
        using var source = new ZeekLogSource(path);
        var smtp = CollectingSink.RunAll(source).Events.OfType<SmtpRecord>().ToList();
        Assert.Equal(5, smtp.Count);
        Assert.Equal(4, smtp.Count(s => s.LastReply == "554 5.7.1 bad smtp-auth user"));
        var first = smtp[0];
        Assert.Equal((IpAddr.Parse("10.1.11.101"), IpAddr.Parse("80.75.42.226"), (ushort)25), (first.Source, first.Destination, first.DestinationPort));
        Assert.Equal("CAyhWs12ySSqPUEjJ3", first.Uid);
        Assert.Equal("aon.913289727@aon.at", first.MailFrom);
        Assert.Equal(1641918754.93611, first.Timestamp, 5);
    }

    [Fact]
    public void Run_SmtpLogTsv_ReplyWithSpacesKept()
    {
        using var tmp = new TempDir();
        string path = tmp.File("smtp.log",
            "#separator \\x09\n#path\tsmtp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\thelo\tmailfrom\tlast_reply\n" +
            "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\n" +
            "1700000000.5\tCx1\t10.0.0.9\t51000\t192.0.2.25\t587\t1\tclient.example\t-\t535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6\n");
        using var source = new ZeekLogSource(path);
        var s = Assert.Single(CollectingSink.RunAll(source).Events.OfType<SmtpRecord>());
        Assert.Equal("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6", s.LastReply);
        Assert.Equal("client.example", s.Helo);
        Assert.Equal("", s.MailFrom);
        Assert.Equal((ushort)587, s.DestinationPort);
    }

    [Fact]
    public void Run_LoginLog_SuccessAndUser()
    {
        using var tmp = new TempDir();
        string path = tmp.File("login.log",
            "#separator \\x09\n#path\tlogin\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tuser\tclient_user\tsuccess\tconfused\n" +
            "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tbool\tbool\n" +
            "1700000000.5\tCl1\t10.0.0.9\t51000\t10.0.0.23\t23\troot\t-\tF\tF\n" +
            "1700000003.5\tCl1\t10.0.0.9\t51000\t10.0.0.23\t23\tadmin\t-\tT\tF\n" +
            "1700000004.5\tCl2\t10.0.0.9\t51001\t10.0.0.23\t23\tadmin\t-\tmaybe\tF\n");
        using var source = new ZeekLogSource(path);
        var sink = CollectingSink.RunAll(source);
        var logins = sink.Events.OfType<LoginRecord>().ToList();
        Assert.Equal(2, logins.Count);
        Assert.Equal(("root", (bool?)false), (logins[0].User, logins[0].Success));
        Assert.Equal(("admin", (bool?)true), (logins[1].User, logins[1].Success));
        Assert.Contains(source.Stats.Messages, m => m.Contains("line 7", StringComparison.Ordinal) && m.Contains("maybe", StringComparison.Ordinal));
    }
}

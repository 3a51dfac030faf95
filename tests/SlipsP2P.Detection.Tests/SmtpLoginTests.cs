using SlipsP2P.Detection.Detectors.Login;
using SlipsP2P.Detection.Detectors.Smtp;
using static SlipsP2P.Detection.Tests.HeuristicConnectionTests;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

public class SmtpLoginTests
{
    private static SmtpRecord Smtp(double ts, string reply, string src = "10.1.11.101", string dst = "80.75.42.226") => new()
    {
        Timestamp = ts, Source = Ip(src), Destination = Ip(dst), SourcePort = 63246, DestinationPort = 25, LastReply = reply,
        Uid = "S" + ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static LoginRecord Login(double ts, bool? success, string src = "10.0.0.5", string dst = "10.0.0.23") => new()
    {
        Timestamp = ts, Source = Ip(src), Destination = Ip(dst), SourcePort = 40000, DestinationPort = 23, Success = success, User = "root",
        Uid = "L" + ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Theory]
    [InlineData("554 5.7.1 bad smtp-auth user", true)]
    [InlineData("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6", true)]
    [InlineData("535 Authentication credentials invalid", true)]
    [InlineData("454 4.7.0 Temporary authentication failure", true)]
    [InlineData("250 2.0.0 Ok: queued as 12345", false)]
    [InlineData("220 OK", false)]
    [InlineData("550 5.1.1 user unknown", false)]
    [InlineData("", false)]
    public void IsBadLogin_Replies_AsSlipsAndRfc4954(string reply, bool bad) => Assert.Equal(bad, SmtpLoginDetector.IsBadLogin(reply));

    [Fact]
    public void Smtp_OneBadLogin_BadSmtpLoginHighOnly()
    {
        var sink = Run(new SmtpLoginDetector(), null, Smtp(100, "554 5.7.1 bad smtp-auth user"), Smtp(101, "250 ok"));
        var e = Assert.Single(sink.Evidence);
        Assert.Equal(EvidenceTypes.BadSmtpLogin, e.Type);
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
        Assert.Equal(1.0, e.Confidence);
        Assert.Equal(Ip("80.75.42.226"), e.Victim);
    }

    [Fact]
    public void Smtp_BelowThreshold_NoBruteforce() =>
        Assert.Empty(Run(new SmtpLoginDetector(), null, Smtp(100, "535 5.7.8 x"), Smtp(105, "535 5.7.8 x")).OfType(EvidenceTypes.SmtpLoginBruteforce));

    [Fact]
    public void Smtp_ThreeWithinTenSeconds_OneBruteforceWithTheirUids()
    {
        var sink = Run(new SmtpLoginDetector(), null, Smtp(100, "535 5.7.8 x"), Smtp(104, "535 5.7.8 x"), Smtp(110, "535 5.7.8 x"));
        var e = Assert.Single(sink.OfType(EvidenceTypes.SmtpLoginBruteforce));
        Assert.Equal(ThreatLevel.High, e.ThreatLevel);
        Assert.Equal(["S100", "S104", "S110"], e.Uids);
        Assert.Equal(3, sink.OfType(EvidenceTypes.BadSmtpLogin).Count);
    }

    [Fact]
    public void Smtp_ThreeSpreadOverMoreThanTenSeconds_NoBruteforce() =>
        Assert.Empty(Run(new SmtpLoginDetector(), null, Smtp(100, "535 5.7.8 x"), Smtp(106, "535 5.7.8 x"), Smtp(110.5, "535 5.7.8 x")).OfType(EvidenceTypes.SmtpLoginBruteforce));

    [Fact]
    public void Smtp_SixWithinTenSeconds_TwoBruteforces()
    {
        var records = Enumerable.Range(0, 6).Select(i => (NetEvent)Smtp(100 + i, "535 5.7.8 x")).ToArray();
        Assert.Equal(2, Run(new SmtpLoginDetector(), null, records).OfType(EvidenceTypes.SmtpLoginBruteforce).Count);
    }

    [Fact]
    public void Smtp_ThresholdFromOptions_Honoured()
    {
        var options = new AnalysisOptions();
        options.FlowAlerts.SmtpBruteforceThreshold = 4;
        var sink = Run(new SmtpLoginDetector(), options, Smtp(100, "535 5.7.8 x"), Smtp(101, "535 5.7.8 x"), Smtp(102, "535 5.7.8 x"));
        Assert.Empty(sink.OfType(EvidenceTypes.SmtpLoginBruteforce));
    }

    [Fact]
    public void Login_Failed_LoginInfoEvidence()
    {
        var e = Assert.Single(Run(new LoginDetector(), null, Login(100, false)).Evidence);
        Assert.Equal(EvidenceTypes.Login, e.Type);
        Assert.Equal(ThreatLevel.Info, e.ThreatLevel);
        Assert.Equal(1.0, e.Confidence);
        Assert.StartsWith("failed telnet login for user root", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Login_BelowThreshold_NoPasswordGuessing() =>
        Assert.Empty(Run(new LoginDetector(), null, [.. Enumerable.Range(0, 4).Select(i => (NetEvent)Login(100 + i, false))]).OfType(EvidenceTypes.PasswordGuessing));

    [Fact]
    public void Login_AtThresholdWithinSpan_PasswordGuessingMedium()
    {
        var sink = Run(new LoginDetector(), null, [.. Enumerable.Range(0, 5).Select(i => (NetEvent)Login(100 + (i * 3), false))]);
        var e = Assert.Single(sink.OfType(EvidenceTypes.PasswordGuessing));
        Assert.Equal(ThreatLevel.Medium, e.ThreatLevel);
        Assert.Equal(5, e.Uids.Count);
    }

    [Fact]
    public void Login_AboveThresholdButSpreadOut_NoPasswordGuessing() =>
        Assert.Empty(Run(new LoginDetector(), null, [.. Enumerable.Range(0, 8).Select(i => (NetEvent)Login(100 + (i * 40), false))]).OfType(EvidenceTypes.PasswordGuessing));

    [Fact]
    public void Login_Successes_NeverPasswordGuessing()
    {
        var sink = Run(new LoginDetector(), null, [.. Enumerable.Range(0, 10).Select(i => (NetEvent)Login(100 + i, true))]);
        Assert.Empty(sink.OfType(EvidenceTypes.PasswordGuessing));
        Assert.Equal(10, sink.OfType(EvidenceTypes.Login).Count);
    }

    [Fact]
    public void FailureBurst_KeepsAtMostThreshold()
    {
        var burst = new FailureBurst();
        for (int i = 0; i < 100; i++) Assert.False(burst.Add(i * 100, "u", 3, 10, out _));
        Assert.Equal(3, burst.Count);
    }
}

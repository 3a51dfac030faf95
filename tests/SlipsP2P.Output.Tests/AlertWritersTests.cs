using System.Text;
using System.Text.Json;
using SlipsP2P.Core;
using SlipsP2P.Output.Alerts;

namespace SlipsP2P.Output.Tests;

public class AlertWritersTests
{
    private static Evidence SampleEvidence(string id = "11111111-2222-3333-4444-555555555555") => new()
    {
        Id = id,
        Type = EvidenceTypes.HorizontalPortScan,
        Description = "Horizontal port scan to port 23/tcp. From 192.168.2.16 to 10 unique destination IPs.",
        Attacker = IpAddr.Parse("192.168.2.16"),
        Victim = IpAddr.Parse("8.8.8.8"),
        ThreatLevel = ThreatLevel.High,
        Confidence = 1,
        Timestamp = 1520628601.123456,
        TimeWindow = 1,
        Uids = ["CabcdefABCDEF12345"],
        Protocol = Protocol.Tcp,
        Port = 23,
    };

    [Fact]
    public void IdmefWriter_Evidence_WritesOneEventObjectPerLine()
    {
        using var ms = new MemoryStream();
        using (var w = new IdmefWriter(new NonClosing(ms), now: () => DateTimeOffset.UnixEpoch))
        {
            w.OnEvidence(SampleEvidence());
            w.OnEvidence(SampleEvidence("22222222-2222-3333-4444-555555555555"));
        }

        var lines = Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var doc = JsonDocument.Parse(lines[0]);
        var root = doc.RootElement;
        Assert.Equal("2.0.3", root.GetProperty("Version").GetString());
        Assert.Equal("Event", root.GetProperty("Status").GetString());
        Assert.Equal("High", root.GetProperty("Severity").GetString());
        Assert.Equal("2018-03-09T20:50:01.123456+00:00", root.GetProperty("StartTime").GetString());
        Assert.Equal("192.168.2.16", root.GetProperty("Source")[0].GetProperty("IP").GetString());
        Assert.Equal("TCP", root.GetProperty("Source")[0].GetProperty("Protocol")[0].GetString());
        Assert.Equal("8.8.8.8", root.GetProperty("Target")[0].GetProperty("IP").GetString());
        Assert.Equal(23, root.GetProperty("Target")[0].GetProperty("Port")[0].GetInt32());
        using var note = JsonDocument.Parse(root.GetProperty("Note").GetString()!);
        Assert.Equal("HORIZONTAL_PORT_SCAN", note.RootElement.GetProperty("evidence_type").GetString());
        Assert.Equal("high", note.RootElement.GetProperty("threat_level").GetString());
        Assert.Equal(1, note.RootElement.GetProperty("confidence").GetDouble());
        Assert.Equal(1, note.RootElement.GetProperty("timewindow").GetInt32());
        Assert.Equal("CabcdefABCDEF12345", note.RootElement.GetProperty("uids")[0].GetString());
    }

    [Fact]
    public void IdmefWriter_Alert_IsIncidentWithCorrelIds()
    {
        var e1 = SampleEvidence();
        var e2 = SampleEvidence("22222222-2222-3333-4444-555555555555");
        var alert = SampleAlert(e1, e2);
        using var ms = new MemoryStream();
        using (var w = new IdmefWriter(new NonClosing(ms))) w.OnAlert(alert);

        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(ms.ToArray()).Trim());
        var root = doc.RootElement;
        Assert.Equal("Incident", root.GetProperty("Status").GetString());
        Assert.Equal([e1.Id, e2.Id], root.GetProperty("CorrelID").EnumerateArray().Select(x => x.GetString()!).ToArray());
        using var note = JsonDocument.Parse(root.GetProperty("Note").GetString()!);
        Assert.Equal(1.6, note.RootElement.GetProperty("accumulated_threat_level").GetDouble());
        Assert.Equal(1, note.RootElement.GetProperty("timewindow").GetInt32());
    }

    [Theory]
    [InlineData(ThreatLevel.Info, "Info")]
    [InlineData(ThreatLevel.Low, "Low")]
    [InlineData(ThreatLevel.Medium, "Medium")]
    [InlineData(ThreatLevel.High, "High")]
    [InlineData(ThreatLevel.Critical, "High")]
    public void Severity_MapsLikeSlips(ThreatLevel level, string expected) => Assert.Equal(expected, IdmefWriter.Severity(level));

    [Fact]
    public void AlertLogWriter_Evidence_WritesSlipsLikeLine()
    {
        var sw = new StringWriter();
        using (var w = new AlertLogWriter(sw, ownsWriter: false)) w.OnEvidence(SampleEvidence());
        string line = sw.ToString().TrimEnd('\n');
        Assert.StartsWith("2018-03-09T20:50:01.123456+00:00 (TW 1): Src IP " + "192.168.2.16".PadRight(26) + ". Detected Horizontal port scan", line);
        Assert.Contains("threat level: high", line);
        Assert.DoesNotContain("\n", line);
    }

    private static Alert SampleAlert(params Evidence[] evidence) => new()
    {
        Profile = evidence[0].Attacker,
        TimeWindow = 1,
        WindowStart = 1520628600,
        WindowEnd = 1520628660,
        Timestamp = 1520628601,
        AccumulatedThreatLevel = 1.6,
        Threshold = 0.25,
        Evidence = evidence,
    };

    // What another process following the file sees now (the writer still open).
    private static string[] LinesOnDisk(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(f);
        return r.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Writers_FlushPolicy_EveryLineWhenFollowedElseAfterAlertsAndAtTheEnd(bool flushEachRecord)
    {
        string dir = Path.Combine(Path.GetTempPath(), "slips-output-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string jsonPath = Path.Combine(dir, "alerts.json");
            string logPath = Path.Combine(dir, "alerts.log");
            var e1 = SampleEvidence();
            var e2 = SampleEvidence("22222222-2222-3333-4444-555555555555");
            using (var json = IdmefWriter.Create(jsonPath, flushEachRecord))
            using (var log = AlertLogWriter.Create(logPath, flushEachRecord))
            {
                json.OnEvidence(e1);
                log.OnEvidence(e1);
                Assert.Equal(flushEachRecord ? 1 : 0, LinesOnDisk(jsonPath).Length);
                Assert.Equal(flushEachRecord ? 1 : 0, LinesOnDisk(logPath).Length);

                json.OnEvidence(e2);
                log.OnEvidence(e2);
                json.OnAlert(SampleAlert(e1, e2));
                log.OnAlert(SampleAlert(e1, e2));
                Assert.Equal(3, LinesOnDisk(jsonPath).Length);
                Assert.Equal(3, LinesOnDisk(logPath).Length);
                json.OnEvidence(e1);
            }

            string[] lines = LinesOnDisk(jsonPath);
            Assert.Equal(4, lines.Length);
            foreach (var line in lines)
            {
                using var doc = JsonDocument.Parse(line);
                Assert.Equal("2.0.3", doc.RootElement.GetProperty("Version").GetString());
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Timestamps_Iso_HandlesOutOfRange()
    {
        Assert.Equal("1970-01-01T00:00:00.000000+00:00", Timestamps.Iso(double.NaN));
        Assert.Equal("1970-01-01T00:00:01.500000+00:00", Timestamps.Iso(1.5));
    }

    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        protected override void Dispose(bool disposing)
        {
            Flush();
            base.Dispose(disposing);
        }
    }
}

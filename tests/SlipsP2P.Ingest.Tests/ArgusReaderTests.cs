// Expected values are written inline as array literals; each test runs once, so CA1861 buys nothing here.
#pragma warning disable CA1861

using System.Globalization;
using System.Net;
using System.Text;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

public sealed class ArgusReaderTests
{
    [Theory]
    [InlineData("test2-malicious.binetflow")]
    [InlineData("test3-mixed.binetflow")]
    [InlineData("test4-malicious.binetflow")]
    [InlineData("test5-mixed.binetflow")]
    [InlineData("test11-portscan.binetflow")]
    public void Run_DatasetBinetflow_EveryIpLineBecomesAMatchingFlow(string name)
    {
        string path = Requires.Dataset(name);
        string[] lines = File.ReadAllLines(path);
        char sep = lines[0].Count(c => c == ',') > 5 ? ',' : '\t';
        string[] header = lines[0].Split(sep);
        int Col(string n) => Array.FindIndex(header, h => h.Equals(n, StringComparison.OrdinalIgnoreCase));
        var data = lines.Skip(1).Where(l => l.Trim().Length > 0).Select(l => l.Split(sep)).ToList();
        static bool IsIp(string s) => (s.Count(c => c == '.') == 3 || s.Contains(':', StringComparison.Ordinal)) && IPAddress.TryParse(s, out _);
        var ipRows = data.Where(r => IsIp(r[Col("SrcAddr")].Trim()) && IsIp(r[Col("DstAddr")].Trim())).ToList();
        using var source = new ArgusSource(path);

        var flows = CollectingSink.RunAll(source).Events.Cast<FlowRecord>().ToList();

        Assert.Empty(source.Stats.Messages);
        Assert.Equal(0, source.Stats.Skipped);
        Assert.Equal(data.Count, source.Stats.Records);
        Assert.Equal(ipRows.Count, flows.Count);
        for (int i = 0; i < flows.Count; i++)
        {
            var raw = ipRows[i];
            var f = flows[i];
            var start = DateTime.ParseExact(raw[Col("StartTime")], "yyyy/MM/dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            Assert.Equal((start - DateTime.UnixEpoch).TotalSeconds, f.Timestamp, 5);
            Assert.Equal(IpAddr.Parse(raw[Col("SrcAddr")].Trim()), f.Source);
            Assert.Equal(IpAddr.Parse(raw[Col("DstAddr")].Trim()), f.Destination);
            Assert.Equal(double.Parse(raw[Col("Dur")], CultureInfo.InvariantCulture), f.Duration, 6);
            Assert.Equal(raw[Col("State")].Trim(), f.StateText);
            Assert.Equal(long.Parse(raw[Col("SrcBytes")], CultureInfo.InvariantCulture), f.SourceBytes);
            Assert.Equal(long.Parse(raw[Col("TotBytes")], CultureInfo.InvariantCulture), f.TotalBytes);
            Assert.Equal(long.Parse(raw[Col("TotPkts")], CultureInfo.InvariantCulture), f.TotalPackets);
            if (Col("SrcPkts") >= 0) Assert.Equal(long.Parse(raw[Col("SrcPkts")], CultureInfo.InvariantCulture), f.SourcePackets);
            Assert.Equal(raw[Col("Label")].Trim(), f.Label);
            string dport = raw[Col("Dport")].Trim();
            ushort expectedPort = dport.Length == 0 ? (ushort)0 : dport.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToUInt16(dport[2..], 16) : ushort.Parse(dport, CultureInfo.InvariantCulture);
            Assert.Equal(expectedPort, f.DestinationPort);
            Assert.Equal(raw[Col("Proto")].Trim(), f.Protocol.ToName());
        }
    }

    [Theory]
    // Examples from Slips' own comments in check_argus_states / check_tcp_states, and its UDP/ICMP words.
    [InlineData("SA_SA", 2, true)]
    [InlineData("SR_SA", 2, false)] // Slips' docstring lists it under both answers; its code says not established
    [InlineData("FSPA_FSRPA", 2, true)]
    [InlineData("SRPAEC_FSRPA", 2, true)]
    [InlineData("PA_PA", 2, true)]
    [InlineData("FPA_FPA", 2, true)]
    [InlineData("S_RA", 2, false)]
    [InlineData("S_R", 2, false)]
    [InlineData("S_SA", 2, false)]
    [InlineData("FA_FA", 2, false)]
    [InlineData("S_", 1, false)]
    [InlineData("SRPA_", 9, false)]
    [InlineData("CON", 2, true)]
    [InlineData("INT", 2, false)]
    [InlineData("ECO", 1, true)]
    [InlineData("UNK", 1, true)]
    [InlineData("URP", 1, false)]
    [InlineData("REQ", 1, false)]
    [InlineData("RST", 3, false)]
    [InlineData("RST", 4, true)]
    [InlineData("FIN", 3, false)]
    [InlineData("FIN", 10, true)]
    [InlineData("EST", 1, true)]
    [InlineData("new", 1, true)]
    [InlineData("established", 1, true)]
    [InlineData("closed", 1, false)]
    [InlineData("S0", 1, false)]
    [InlineData("REJ", 2, false)]
    [InlineData("SF", 9, true)]
    [InlineData("OTH", 1, true)]
    [InlineData("", 5, false)]
    public void IsEstablished_StateText_MatchesSlips(string state, long packets, bool expected)
    {
        Assert.Equal(expected, SlipsFlowState.IsEstablished(Encoding.ASCII.GetBytes(state), packets));
    }

    [Fact]
    public void Constructor_MissingRequiredColumn_ThrowsNamingFileAndColumn()
    {
        using var tmp = new TempDir();
        string path = tmp.File("x.binetflow", "StartTime,Dur,Proto,Sport,Dir,DstAddr,Dport,State,TotPkts,TotBytes\n2019/04/04 16:23:00.325010,0.02,udp,1,->,8.8.8.8,53,CON,2,100\n");
        using var source = new ArgusSource(path);

        var e = Assert.Throws<InputException>(() => CollectingSink.RunAll(source));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("SrcAddr", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_GarbledLines_SkippedWithLineNumbersAndTheRestRead()
    {
        using var tmp = new TempDir();
        string path = tmp.File("x.binetflow",
            "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n" +
            "2013/08/15 15:00:31.123456,1.5,tcp,10.0.0.1,0x0303,->,10.0.0.2,80,FSPA_FSPA,0,0,10,1000,400,flow=Normal\n" +
            "garbage without separators\n" +
            "2013/08/15 15:00:32.000000,abc,tcp,10.0.0.1,1,->,10.0.0.2,80,S_,0,0,1,60,60,\n" +
            "2013/13/15 15:00:33.000000,1,tcp,10.0.0.1,1,->,10.0.0.2,80,S_,0,0,1,60,60,\n" +
            "1376578834.5,0,udp,10.0.0.1,53,<->,10.0.0.3,0x0035,CON,0,0,2,100,50,\n");
        using var source = new ArgusSource(path);

        var flows = CollectingSink.RunAll(source).Events.Cast<FlowRecord>().ToList();

        Assert.Equal(2, flows.Count);
        Assert.Equal(3, source.Stats.Skipped);
        Assert.Contains(source.Stats.Messages, m => m.StartsWith(path + ": line 3:", StringComparison.Ordinal));
        Assert.Contains(source.Stats.Messages, m => m.StartsWith(path + ": line 4: bad Dur 'abc'", StringComparison.Ordinal));
        Assert.Contains(source.Stats.Messages, m => m.StartsWith(path + ": line 5: bad StartTime", StringComparison.Ordinal));
        Assert.Equal(1376578831.123456, flows[0].Timestamp, 6);
        Assert.Equal((ushort)0x0303, flows[0].SourcePort);
        Assert.True(flows[0].Established);
        Assert.Equal(600, flows[0].DestinationBytes);
        Assert.Equal("flow=Normal", flows[0].Label);
        Assert.Equal(1376578834.5, flows[1].Timestamp, 6);
        Assert.Equal((ushort)53, flows[1].DestinationPort);
        Assert.True(flows[1].Established);
    }

    [Fact]
    public void Run_StdinWithoutHeader_UsesArgusDefaultFields()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("1376578834.5,2.0,tcp,192.168.0.5,4444,->,1.2.3.4,445,S_RA,0,0,2,120,60,1,\n");
        using var source = new ArgusSource(new MemoryStream(bytes), "-");

        var f = Assert.IsType<FlowRecord>(Assert.Single(CollectingSink.RunAll(source).Events));

        Assert.Equal(IpAddr.Parse("1.2.3.4"), f.Destination);
        Assert.Equal((ushort)445, f.DestinationPort);
        Assert.False(f.Established);
        Assert.Equal(1, f.SourcePackets);
    }

    [Fact]
    public void Run_StdinWithHeaderFirstOrConfigured_MapsColumnsByName()
    {
        byte[] withHeader = Encoding.ASCII.GetBytes("SrcAddr\tDstAddr\tProto\tStartTime\tDport\tState\tTotPkts\n10.1.1.1\t10.1.1.2\tudp\t100.25\t53\tCON\t2\n");
        using var a = new ArgusSource(new MemoryStream(withHeader), "-");
        var fa = Assert.IsType<FlowRecord>(Assert.Single(CollectingSink.RunAll(a).Events));
        Assert.Equal(IpAddr.Parse("10.1.1.1"), fa.Source);
        Assert.Equal(100.25, fa.Timestamp);

        byte[] noHeader = Encoding.ASCII.GetBytes("10.1.1.1,10.1.1.2,udp,200.5,53,CON,2,x,y\n");
        using var b = new ArgusSource(new MemoryStream(noHeader), "-", header: "SrcAddr,DstAddr,Proto,StartTime,Dport,State,TotPkts,a,b");
        var fb = Assert.IsType<FlowRecord>(Assert.Single(CollectingSink.RunAll(b).Events));
        Assert.Equal(200.5, fb.Timestamp);
        Assert.True(fb.Established);
    }

    [Fact]
    public void Run_EmptyFile_ThrowsNamingTheFile()
    {
        using var tmp = new TempDir();
        string path = tmp.File("empty.binetflow", "");
        using var source = new ArgusSource(path);

        var e = Assert.Throws<InputException>(() => CollectingSink.RunAll(source));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}

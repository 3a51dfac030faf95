using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

public sealed class InputDetectorTests
{
    [Theory]
    [InlineData("test2-malicious.binetflow", typeof(ArgusSource))]
    [InlineData("test5-mixed.binetflow", typeof(ArgusSource))]
    [InlineData("test6-malicious.suricata.json", typeof(SuricataSource))]
    [InlineData("test9-mixed-zeek-dir", typeof(ZeekLogSource))]
    [InlineData("test9-mixed-zeek-dir/conn.log", typeof(ZeekLogSource))]
    [InlineData("test16-malicious-zeek-dir/arp.log", typeof(ZeekLogSource))]
    [InlineData("test10-mixed-zeek-dir/conn.log", typeof(ZeekLogSource))]
    [InlineData("test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled", typeof(ZeekLogSource))]
    public void Open_DatasetByContent_PicksTheReader(string relative, Type expected)
    {
        string path = Requires.Dataset(relative);

        using var source = InputDetector.Open(path, null, new AnalysisOptions());

        Assert.IsType(expected, source);
        Assert.Equal(path, source.Name);
    }

    [Theory]
    [InlineData("test12-icmp-portscan.pcap")]
    [InlineData("test7-malicious.pcap")]
    public void Detect_PcapMagic_IsPcap(string relative)
    {
        string path = Requires.Dataset(relative);
        byte[] head = File.ReadAllBytes(path)[..64];

        Assert.Equal("pcap", InputDetector.Detect(head));
    }

    [Fact]
    public void Detect_MagicsAndTextKinds_Recognised()
    {
        Assert.Equal("pcap", InputDetector.Detect([0x0A, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0]));
        Assert.Equal("pcap", InputDetector.Detect([0x4D, 0x3C, 0xB2, 0xA1]));
        Assert.Equal("pcap", InputDetector.Detect([0xA1, 0xB2, 0x3C, 0x4D]));
        Assert.Equal("nfdump", InputDetector.Detect([0x0C, 0xA5, 0x01, 0x00]));
        Assert.Equal("zeek", InputDetector.Detect("#fields\tts\tuid\n"u8));
        Assert.Equal("zeek", InputDetector.Detect("{\"ts\":1.0,\"uid\":\"C\"}\n"u8));
        Assert.Equal("suricata", InputDetector.Detect("{\"timestamp\":\"x\",\"event_type\":\"flow\"}"u8));
        Assert.Equal("argus", InputDetector.Detect("StartTime\tDur\tProto\tSrcAddr\n"u8));
        Assert.Equal("unknown", InputDetector.Detect("hello world\n"u8));
        Assert.Equal("unknown", InputDetector.Detect("{\"a\":1}\n"u8));
    }

    [Fact]
    public void Open_Nfdump_DetectedByMagic()
    {
        string path = Requires.Dataset("test1-malicious.nfdump");
        Requires.Tool("nfdump");

        using var source = InputDetector.Open(path, null, new AnalysisOptions());

        Assert.IsType<NfdumpSource>(source);
    }

    [Fact]
    public void Open_NonExistentPath_ThrowsNamingThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "does-not-exist-" + Guid.NewGuid().ToString("N"));

        var e = Assert.Throws<InputException>(() => InputDetector.Open(path, null, new AnalysisOptions()));

        Assert.Equal(path + ": no such file or directory", e.Message);
    }

    [Fact]
    public void Open_EmptyFile_ThrowsNamingThePath()
    {
        using var tmp = new TempDir();
        string path = tmp.File("empty.log", "");

        var e = Assert.Throws<InputException>(() => InputDetector.Open(path, null, new AnalysisOptions()));

        Assert.Equal(path + ": the file is empty", e.Message);
    }

    [Fact]
    public void Open_UnknownContent_ThrowsWithTheFirstBytes()
    {
        using var tmp = new TempDir();
        string path = tmp.File("mystery.bin", "MZ\u0090binary-ish");

        var e = Assert.Throws<InputException>(() => InputDetector.Open(path, null, new AnalysisOptions()));

        Assert.StartsWith(path + ": unknown input format (first bytes: 4d5ac290", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_DirectoryOfUnrelatedFiles_ThrowsNamingTheDirectory()
    {
        using var tmp = new TempDir();
        tmp.File("readme.txt", "nothing here");

        var e = Assert.Throws<InputException>(() => InputDetector.Open(tmp.Path, null, new AnalysisOptions()));

        Assert.StartsWith(tmp.Path + ": the directory holds no Zeek log", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_StdinWithoutType_ThrowsAskingForTheType()
    {
        var e = Assert.Throws<InputException>(() => InputDetector.Open("-", null, new AnalysisOptions()));

        Assert.Contains("argus, zeek, suricata or pcap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ExplicitTypeDisagreeingWithContent_WarnsAndObeys()
    {
        string path = Requires.Dataset("test3-mixed.binetflow");
        var warnings = new StringWriter();

        using var source = InputDetector.Open(path, "zeek", new AnalysisOptions(), warnings);

        Assert.IsType<ZeekLogSource>(source);
        Assert.Contains("looks like argus", warnings.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("test12-icmp-portscan.pcap")]
    [InlineData("test19-malicious-ssh/malicious-ssh-bruteforce.pcap")]
    public void Open_Pcap_ReturnsTheCaptureReader(string relative)
    {
        string path = Requires.Dataset(relative);

        using var source = InputDetector.Open(path, null, new AnalysisOptions());

        Assert.IsType<SlipsP2P.Ingest.Pcap.PcapSource>(source);
    }
}

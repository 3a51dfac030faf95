using SlipsP2P.Core;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Pcap;
using static SlipsP2P.Ingest.Tests.PacketBuilder;

namespace SlipsP2P.Ingest.Tests;

public sealed class PcapReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pcap-tests").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Frame(ushort sport) => EthernetIpv4(Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(sport, 53, new byte[4])));

    private static List<(double Ts, int Length, int Link)> ReadAll(CaptureReader reader, List<string>? skipped = null)
    {
        var list = new List<(double, int, int)>();
        var frame = default(CapturedFrame);
        while (true)
        {
            var r = reader.Read(ref frame);
            if (r == ReadResult.End) break;
            if (r == ReadResult.Skipped)
            {
                skipped?.Add(reader.LastMessage);
                continue;
            }

            list.Add((frame.Timestamp, frame.Data.Length, frame.LinkType));
        }

        return list;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Read_ClassicPcapEitherOrderAndResolution_ReadsPacketsAndTimes(bool bigEndian, bool nano)
    {
        string path = Write("a.cap", PcapTestFiles.Pcap(LinkType.Ethernet, [(1_600_000_000.25, Frame(1)), (1_600_000_001.5, Frame(2))], bigEndian, nano));
        using var reader = CaptureReader.Open(path);
        var packets = ReadAll(reader);
        Assert.Equal(CaptureFormat.Pcap, reader.Format);
        Assert.Equal(2, packets.Count);
        Assert.Equal(1_600_000_000.25, packets[0].Ts, 6);
        Assert.Equal(1_600_000_001.5, packets[1].Ts, 6);
        Assert.Equal(Frame(1).Length, packets[0].Length);
    }

    [Fact]
    public void Read_NanosecondPcap_KeepsSubMicrosecondPrecision()
    {
        string path = Write("n.pcap", PcapTestFiles.Pcap(LinkType.Raw, [(10.000000123, new byte[20])], nano: true));
        using var reader = CaptureReader.Open(path);
        Assert.Equal(10.000000123, ReadAll(reader)[0].Ts, 9);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_PcapNgEitherOrder_ReadsEnhancedSimpleAndSkipsUnknownBlocks(bool bigEndian)
    {
        var ng = new PcapTestFiles.PcapNg(bigEndian)
            .Interface(LinkType.Ethernet)                 // default resolution: microseconds
            .Interface(LinkType.Raw, tsresol: 9)          // nanoseconds
            .Interface(LinkType.LinuxSll, tsresol: 0x80 | 10) // 2^-10 s
            .Enhanced(0, 1_500_000_000_250_000UL, Frame(1))
            .Block(0x0BAD, [1, 2, 3, 4, 5])               // unknown block: skipped
            .Enhanced(1, 1_500_000_001_000_000_500UL, Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, [])))
            .Enhanced(2, 3072, new byte[40])
            .Simple(Frame(3));
        string path = Write("b.pcapng", ng.ToArray());
        using var reader = CaptureReader.Open(path);
        var packets = ReadAll(reader);
        Assert.Equal(CaptureFormat.PcapNg, reader.Format);
        Assert.Equal(4, packets.Count);
        Assert.Equal((LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.Ethernet), (packets[0].Link, packets[1].Link, packets[2].Link, packets[3].Link));
        Assert.Equal(1_500_000_000.25, packets[0].Ts, 6);
        Assert.Equal(1_500_000_001.0000005, packets[1].Ts, 7);
        Assert.Equal(3.0, packets[2].Ts, 6);
        Assert.Equal(Frame(3).Length, packets[3].Length);
    }

    [Fact]
    public void Read_PcapTruncatedAtEveryLength_StopsCleanlyWithAMessage()
    {
        byte[] full = PcapTestFiles.Pcap(LinkType.Ethernet, [(1, Frame(1)), (2, Frame(2))]);
        for (int n = 24; n < full.Length; n++)
        {
            using var reader = CaptureReader.Open(new MemoryStream(full, 0, n), "cut.pcap");
            var skipped = new List<string>();
            var packets = ReadAll(reader, skipped);
            Assert.True(packets.Count <= 1);
            if (n != 24 && n != 24 + 16 + Frame(1).Length)
            {
                Assert.Single(skipped);
                Assert.StartsWith("cut.pcap: packet ", skipped[0], StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Read_PcapNgTruncatedAtEveryLength_NeverThrows()
    {
        byte[] full = new PcapTestFiles.PcapNg().Interface(LinkType.Ethernet).Enhanced(0, 5, Frame(1)).Enhanced(0, 6, Frame(2)).ToArray();
        for (int n = 28; n < full.Length; n++)
        {
            try
            {
                using var reader = CaptureReader.Open(new MemoryStream(full, 0, n), "cut.pcapng");
                var skipped = new List<string>();
                Assert.True(ReadAll(reader, skipped).Count <= 1);
                Assert.All(skipped, m => Assert.StartsWith("cut.pcapng", m, StringComparison.Ordinal));
            }
            catch (InputException e)
            {
                // Only a cut inside the section header itself makes the file unreadable.
                Assert.Contains("cut.pcapng", e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Read_CorruptRecordLength_SkipsWithPacketNumberAndStops()
    {
        byte[] bytes = PcapTestFiles.Pcap(LinkType.Ethernet, [(1, Frame(1)), (2, Frame(2))]);
        int second = 24 + 16 + Frame(1).Length;
        BitConverter.GetBytes(0x7FFF_FFFFu).CopyTo(bytes, second + 8);
        using var reader = CaptureReader.Open(Write("corrupt.pcap", bytes));
        var skipped = new List<string>();
        Assert.Single(ReadAll(reader, skipped));
        Assert.Contains("packet 2", Assert.Single(skipped), StringComparison.Ordinal);
    }

    [Fact]
    public void Open_GarbageFile_ThrowsInputExceptionNamingTheFile()
    {
        string path = Write("notes.pcap", "this is not a capture at all"u8.ToArray());
        var e = Assert.Throws<InputException>(() => CaptureReader.Open(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("not a pcap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_EmptyFile_ThrowsInputException()
    {
        string path = Write("empty.pcap", []);
        Assert.Contains(path, Assert.Throws<InputException>(() => CaptureReader.Open(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingFile_ThrowsInputException()
    {
        string path = Path.Combine(_dir, "missing.pcap");
        Assert.Contains(path, Assert.Throws<InputException>(() => CaptureReader.Open(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_UnsupportedLinkType_ThrowsNamingFileAndType()
    {
        string path = Write("usb.pcap", PcapTestFiles.Pcap(189, [(1, new byte[10])]));
        var e = Assert.Throws<InputException>(() => CaptureReader.Open(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("189", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PcapNgUnsupportedLinkType_ThrowsNamingFileAndType()
    {
        string path = Write("usb.pcapng", new PcapTestFiles.PcapNg().Interface(189).Enhanced(0, 1, new byte[10]).ToArray());
        using var source = new PcapSource(path, new AnalysisOptions());
        var e = Assert.Throws<InputException>(() => source.Run(new PcapCollectingSink(), TestContext.Current.CancellationToken));
        Assert.Contains("189", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TruncatedHeadersInPacket_CountedAsSkippedWithPacketNumber()
    {
        byte[] shortFrame = EthernetIpv4(Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 2, 3, 4, 0x02)))[..30];
        string path = Write("short.pcap", PcapTestFiles.Pcap(LinkType.Ethernet, [(1, Frame(1)), (2, shortFrame)]));
        using var source = new PcapSource(path, new AnalysisOptions());
        var sink = new PcapCollectingSink();
        source.Run(sink, TestContext.Current.CancellationToken);
        Assert.Equal(2, source.Stats.Packets);
        Assert.Equal(1, source.Stats.Skipped);
        Assert.Contains($"{path}: packet 2:", source.Stats.Messages[0], StringComparison.Ordinal);
        Assert.Single(sink.Flows);
        Assert.Equal("pcap", source.Kind);
        Assert.Equal(new FileInfo(path).Length, source.Stats.Bytes);
    }
}

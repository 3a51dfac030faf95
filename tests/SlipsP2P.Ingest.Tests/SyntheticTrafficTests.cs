using System.Buffers.Binary;
using System.Security.Cryptography;
using SlipsP2P.Ingest.Synthetic;
using SlipsP2P.Testing;

namespace SlipsP2P.Ingest.Tests;

public class SyntheticTrafficTests
{
    private static (byte[] Bytes, TrafficSummary Summary) Make(int seed, long packets = 20_000)
    {
        using var ms = new MemoryStream();
        var summary = TrafficGenerator.Generate(new KeepOpen(ms), new TrafficGeneratorOptions
        {
            Seed = seed, TargetPackets = packets, VerticalScanPorts = 50, HorizontalScanHosts = 40,
        });
        return (ms.ToArray(), summary);
    }

    [Fact]
    public void Generate_SameSeed_SameBytes()
    {
        var a = Make(7);
        var b = Make(7);
        var c = Make(8);
        Assert.Equal(SHA256.HashData(a.Bytes), SHA256.HashData(b.Bytes));
        Assert.NotEqual(SHA256.HashData(a.Bytes), SHA256.HashData(c.Bytes));
    }

    [Fact]
    public void Generate_RecordsAreOrderedAndWellFormed()
    {
        var (bytes, summary) = Make(3);
        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        int offset = 24;
        long count = 0;
        long last = 0;
        while (offset < bytes.Length)
        {
            long ts = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset)) * 1_000_000L + BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4));
            int caplen = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 8));
            Assert.True(ts >= last, $"packet {count} goes back in time");
            Assert.InRange(caplen, 54, 1600);
            Assert.Equal((ushort)0x0800, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset + 16 + 12)));
            last = ts;
            offset += 16 + caplen;
            count++;
        }

        Assert.Equal(bytes.Length, offset);
        Assert.Equal(summary.Packets, count);
        Assert.InRange(count, 20_000, 22_000);
        Assert.Equal("10.0.66.6", summary.VerticalScanner);
        Assert.Equal("10.0.66.7", summary.HorizontalScanner);
    }

    [Fact]
    public void Generate_TcpdumpReadsItWithoutComplaint()
    {
        string tcpdump = Requires.Tool("tcpdump");
        string path = Path.Combine(Path.GetTempPath(), $"slips-gen-{Guid.NewGuid():N}.pcap");
        try
        {
            File.WriteAllBytes(path, Make(5).Bytes);
            var (code, stdout, stderr) = Requires.Run(tcpdump, $"-nn -r {path}", TimeSpan.FromSeconds(60));
            Assert.Equal(0, code);
            Assert.DoesNotContain("truncated", stdout + stderr, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Flags [S]", stdout);
            Assert.Contains("ICMP echo request", stdout);
            Assert.Contains("A? host", stdout);
            var (_, verbose, _) = Requires.Run(tcpdump, $"-nn -v -r {path} -c 2000", TimeSpan.FromSeconds(60));
            Assert.DoesNotContain("bad cksum", verbose);
            Assert.DoesNotContain("incorrect", verbose);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class KeepOpen(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    }
}

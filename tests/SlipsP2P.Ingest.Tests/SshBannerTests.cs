using SlipsP2P.Core;
using SlipsP2P.Ingest.App;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using static SlipsP2P.Ingest.Tests.PacketBuilder;

namespace SlipsP2P.Ingest.Tests;

public sealed class SshBannerTests
{
    [Fact]
    public void TryRead_Banner_StripsLineEnd()
    {
        Assert.Equal("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3", SshBanner.TryRead("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3\r\n"u8));
        Assert.Null(SshBanner.TryRead("HTTP/1.1 200 OK\r\n"u8));
    }

    [Fact]
    public void TryRead_OverlongBanner_Bounded()
    {
        byte[] banner = [.. "SSH-2.0-"u8, .. Enumerable.Repeat((byte)'x', 5000)];
        Assert.Equal(SshBanner.MaxLength, SshBanner.TryRead(banner)!.Length);
    }

    [Theory]
    [InlineData(1000, false)]
    [InlineData(10000, true)]
    public void FlowTable_SshSession_SuccessInferredFromSize(int serverBytes, bool expectSuccess)
    {
        var sink = new PcapCollectingSink();
        var table = new FlowTable(new AnalysisOptions(), sink);
        void Feed(double ts, byte[] ip)
        {
            var p = default(DecodedPacket);
            PacketDecoder.Decode(LinkType.Raw, ip, ref p);
            table.Process(ref p, ts, 1);
        }

        byte[] server = "SSH-2.0-OpenSSH_8.9\r\n"u8.ToArray();
        byte[] client = "SSH-2.0-libssh_0.9\r\n"u8.ToArray();
        Feed(1, Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 22, 100, 0, 0x02)));
        Feed(1.1, Ipv4("10.0.0.2", "10.0.0.1", 6, Tcp(22, 40000, 500, 101, 0x12)));
        Feed(1.2, Ipv4("10.0.0.2", "10.0.0.1", 6, Tcp(22, 40000, 501, 101, 0x18, server)));
        Feed(1.3, Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 22, 101, 501, 0x18, client)));
        Feed(1.4, Ipv4("10.0.0.2", "10.0.0.1", 6, Tcp(22, 40000, 501 + (uint)server.Length, 101, 0x18, new byte[serverBytes])));
        table.Flush();

        SshRecord s = Assert.Single(sink.Events.OfType<SshRecord>());
        FlowRecord f = Assert.Single(sink.Flows);
        Assert.Equal(("SSH-2.0-libssh_0.9", "SSH-2.0-OpenSSH_8.9"), (s.Client, s.Server));
        Assert.Equal(expectSuccess, s.AuthSuccess);
        Assert.Equal(1, s.AuthAttempts);
        Assert.Equal(f.TotalBytes, s.TotalBytes);
        Assert.Equal(f.Uid, s.Uid);
        Assert.Equal("ssh", f.Service);
    }
}

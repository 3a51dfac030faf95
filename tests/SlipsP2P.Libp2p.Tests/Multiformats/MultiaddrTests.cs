using System.Buffers;
using System.Net;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Tests.Support;

namespace SlipsP2P.Libp2p.Tests.Multiformats;

public class MultiaddrTests
{
    [Fact]
    public void ParseAndDecode_JsVectors_MatchBothWays()
    {
        var vectors = Vectors.Js().GetProperty("multiaddr");
        int count = 0;
        foreach (var p in vectors.EnumerateObject())
        {
            var bytes = Convert.FromHexString(p.Value.GetString()!);
            var parsed = Multiaddr.Parse(p.Name);
            Assert.Equal(bytes, parsed.ToByteArray());
            var decoded = Multiaddr.Decode(bytes);
            Assert.Equal(p.Name, decoded.ToString());
            Assert.Equal(parsed, decoded);
            count++;
        }

        Assert.True(count >= 5);
    }

    [Fact]
    public void Parse_IpfsAlias_PrintsP2p()
    {
        var ma = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1/ipfs/12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm");
        Assert.Equal("/ip4/1.2.3.4/tcp/1/p2p/12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm", ma.ToString());
        Assert.Equal("12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm", ma.PeerId!.ToString());
        Assert.Equal("/ip4/1.2.3.4/tcp/1", ma.WithoutPeerId().ToString());
    }

    [Theory]
    [InlineData("/dns4/example.com/tcp/80", "360b6578616d706c652e636f6d060050")]
    [InlineData("/udp/53/quic-v1", "91020035cd03")]
    [InlineData("/ip6/2001:db8::1/tcp/65535", "2920010db800000000000000000000000106ffff")]
    public void Parse_OtherProtocols_ExpectedBytes(string text, string hex)
    {
        var ma = Multiaddr.Parse(text);
        Assert.Equal(hex, Convert.ToHexStringLower(ma.Bytes));
        Assert.Equal(text, Multiaddr.Decode(ma.Bytes).ToString());
    }

    [Theory]
    [InlineData("ip4/1.2.3.4")]
    [InlineData("/ip4/1.2.3")]
    [InlineData("/ip4/256.1.1.1")]
    [InlineData("/tcp/70000")]
    [InlineData("/tcp")]
    [InlineData("/foo/1")]
    [InlineData("/p2p/notapeerid")]
    [InlineData("/ip6/1.2.3.4")]
    public void TryParse_Invalid_FalseWithReason(string text)
    {
        Assert.False(Multiaddr.TryParse(text, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryDecode_EveryTruncation_NeverThrows()
    {
        var bytes = Convert.FromHexString("047f000001060fa1a50326002408011220d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4");
        for (int i = 0; i < bytes.Length; i++)
        {
            var expected = i is 5 or 8 ? OperationStatus.Done : OperationStatus.InvalidData;
            Assert.Equal(expected, Multiaddr.TryDecode(bytes.AsSpan(0, i), out _));
        }

        Assert.Equal(OperationStatus.InvalidData, Multiaddr.TryDecode(Convert.FromHexString("ff7f"), out _));
        Assert.Equal(OperationStatus.InvalidData, Multiaddr.TryDecode(Convert.FromHexString("a503ff"), out _));
    }

    [Fact]
    public void FromTcpEndPoint_Loopback_TextAndTarget()
    {
        var ma = Multiaddr.FromTcpEndPoint(new IPEndPoint(IPAddress.Loopback, 4001));
        Assert.Equal("/ip4/127.0.0.1/tcp/4001", ma.ToString());
        Assert.True(ma.TryGetTcpTarget(out string host, out int port, out var addr));
        Assert.Equal("127.0.0.1", host);
        Assert.Equal(4001, port);
        Assert.Equal(IPAddress.Loopback, addr);
        var id = PeerId.Parse("12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm");
        Assert.Equal(id, ma.WithPeerId(id).PeerId);
    }
}

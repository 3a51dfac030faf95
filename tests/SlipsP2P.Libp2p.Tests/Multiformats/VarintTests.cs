using System.Buffers;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Tests.Support;

namespace SlipsP2P.Libp2p.Tests.Multiformats;

public class VarintTests
{
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(1UL, "01")]
    [InlineData(127UL, "7f")]
    [InlineData(128UL, "8001")]
    [InlineData(255UL, "ff01")]
    [InlineData(300UL, "ac02")]
    [InlineData(16384UL, "808001")]
    [InlineData(421UL, "a503")]
    [InlineData((1UL << 63) - 1, "ffffffffffffffff7f")]
    public void Write_SpecVector_MatchesBytes(ulong value, string hex)
    {
        // Arrange: a dirty buffer so that unwritten bytes would show.
        var buf = new byte[16];
        Array.Fill(buf, (byte)0xFF);

        int n = Varint.Write(value, buf);

        Assert.Equal(hex, Convert.ToHexStringLower(buf, 0, n));
        Assert.Equal(n, Varint.GetLength(value));
        Assert.Equal(OperationStatus.Done, Varint.TryRead(buf.AsSpan(0, n), out ulong back, out int used));
        Assert.Equal(value, back);
        Assert.Equal(n, used);
    }

    [Fact]
    public void TryRead_EveryTruncation_NeedMoreData()
    {
        var bytes = Convert.FromHexString("ffffffffffffffff7f");
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, Varint.TryRead(bytes.AsSpan(0, i), out _, out _));
        }
    }

    [Theory]
    [InlineData("8000")]
    [InlineData("ff00")]
    [InlineData("ffffffffffffffffff01")]
    public void TryRead_NonMinimalOrTooLong_InvalidData(string hex)
    {
        Assert.Equal(OperationStatus.InvalidData, Varint.TryRead(Convert.FromHexString(hex), out _, out _));
    }

    [Fact]
    public void Write_Over63Bits_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Varint.Write(1UL << 63, new byte[10]));
    }

    [Fact]
    public void TryReadSequence_AllSegmentations_SameValue()
    {
        var bytes = Convert.FromHexString("ac02");
        foreach (var (name, seq, guard) in Segments.Variants(bytes))
        {
            var buffer = seq;
            Assert.True(Varint.TryRead(ref buffer, Varint.MaxLength, out ulong v) == OperationStatus.Done, name);
            Assert.Equal(300UL, v);
            Assert.Equal(guard, buffer.Length);
        }
    }
}

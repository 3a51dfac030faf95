using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Tests.Multiformats;

public class BaseEncodingTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("00", "1")]
    [InlineData("0000ff", "115Q")]
    [InlineData("68656c6c6f20776f726c64", "StV1DL6CwTryKyV")]
    public void Base58_Vectors_RoundTrip(string hex, string text)
    {
        var data = Convert.FromHexString(hex);
        Assert.Equal(text, Base58.Encode(data));
        Assert.True(Base58.TryDecode(text, out var back));
        Assert.Equal(data, back);
    }

    [Theory]
    [InlineData("0OIl")]
    [InlineData("abc!")]
    public void Base58_BadCharacter_False(string text)
    {
        Assert.False(Base58.TryDecode(text, out _));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("66", "my")]
    [InlineData("666f6f626172", "mzxw6ytboi")]
    public void Base32_Rfc4648Vectors_RoundTrip(string hex, string text)
    {
        var data = Convert.FromHexString(hex);
        Assert.Equal(text, Base32.Encode(data));
        Assert.True(Base32.TryDecode(text, out var back));
        Assert.Equal(data, back);
    }

    [Theory]
    [InlineData("m1")]
    [InlineData("mz")]
    [InlineData("a")]
    public void Base32_BadInput_False(string text)
    {
        Assert.False(Base32.TryDecode(text, out _));
    }

    [Fact]
    public void Base58_RandomRoundTrip_Identity()
    {
        var rng = new Random(42);
        for (int len = 0; len < 80; len++)
        {
            var data = new byte[len];
            rng.NextBytes(data);
            if (len > 2) data[0] = 0;
            Assert.True(Base58.TryDecode(Base58.Encode(data), out var back));
            Assert.Equal(data, back);
            Assert.True(Base32.TryDecode(Base32.Encode(data), out var back32));
            Assert.Equal(data, back32);
        }
    }
}

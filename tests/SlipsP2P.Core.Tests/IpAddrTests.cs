namespace SlipsP2P.Core.Tests;

public class IpAddrTests
{
    [Theory]
    [InlineData("192.168.1.5", true, true)]
    [InlineData("8.8.8.8", true, false)]
    [InlineData("10.0.0.1", true, true)]
    [InlineData("172.16.3.4", true, true)]
    [InlineData("172.32.3.4", true, false)]
    [InlineData("2001:db8::1", false, false)]
    [InlineData("fd00::1", false, true)]
    [InlineData("fe80::1", false, true)]
    public void Parse_Address_RoundTripsAndClassifies(string text, bool v4, bool isPrivate)
    {
        var ip = IpAddr.Parse(text);
        Assert.Equal(v4, ip.IsV4);
        Assert.Equal(isPrivate, ip.IsPrivate);
        Assert.Equal(text, ip.ToString());
        Assert.Equal(ip, IpAddr.From(ip.ToIPAddress()));
    }

    [Fact]
    public void TryParse_Garbage_ReturnsFalse()
    {
        Assert.False(IpAddr.TryParse("not-an-ip", out _));
        Assert.False(IpAddr.TryParse("", out _));
    }

    [Fact]
    public void CompareTo_OrdersNumerically()
    {
        Assert.True(IpAddr.Parse("10.0.0.2") > IpAddr.Parse("10.0.0.1"));
        Assert.True(IpAddr.Parse("9.255.255.255") < IpAddr.Parse("10.0.0.0"));
    }
}

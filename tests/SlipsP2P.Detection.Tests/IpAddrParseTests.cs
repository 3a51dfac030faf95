using System.Net;

namespace SlipsP2P.Detection.Tests;

/// <summary>The allocation-free dotted-quad path of <see cref="IpAddr.TryParse"/> agrees with <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>.</summary>
public class IpAddrParseTests
{
    public static TheoryData<string> Texts => new()
    {
        "0.0.0.0", "1.2.3.4", "255.255.255.255", "93.184.216.34", "10.0.1.249",
        "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "0x7f.0.0.1", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ",
        " 1.2.3.4", "1.2.3.4%1", "1.2.3.-4", "1.2.3.4/24", "a.b.c.d", "", "1", "127.1", "::1", "::ffff:1.2.3.4", "fe80::1", "1234.1.1.1",
        "999.999.999.999", "1.2.3.4x",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void TryParse_Text_SameAsIPAddress(string text)
    {
        bool expected = IPAddress.TryParse(text, out var reference);
        Assert.Equal(expected, IpAddr.TryParse(text, out var value));
        if (expected) Assert.Equal(IpAddr.From(reference!), value);
    }

    [Fact]
    public void TryParse_RandomDottedQuads_SameAsIPAddress()
    {
        var rng = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            uint a = (uint)rng.NextInt64(0, 1L << 32);
            string text = $"{a >> 24}.{(a >> 16) & 0xFF}.{(a >> 8) & 0xFF}.{a & 0xFF}";
            Assert.True(IpAddr.TryParse(text, out var value));
            Assert.Equal(IpAddr.FromV4(a), value);
            Assert.Equal(text, value.ToString());
        }
    }

    [Fact]
    public void TryParse_DottedQuad_DoesNotAllocate()
    {
        Assert.True(IpAddr.TryParse("93.184.216.34", out _));
        int parsed = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            if (IpAddr.TryParse("93.184.216.34", out _)) parsed++;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, parsed);
    }
}

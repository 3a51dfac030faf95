using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Tests;

public sealed class CommunityIdTests
{
    // The Community ID spec's baseline vectors (corelight/community-id-spec, baseline/baseline_deflt.json, seed 0).
    public static TheoryData<byte, string, string, int?, int?, string> SpecBaseline => new()
    {
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
        { 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=" },
        { 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
        { 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
        { 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
        { 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
        { 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00=" },
        { 1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        { 1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        { 1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
        { 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
        { 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
        { 132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
        { 132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
        { 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
        { 6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
        { 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
        { 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
        { 46, "10.1.12.1", "10.1.12.2", null, null, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
        { 46, "10.1.12.2", "10.1.12.1", null, null, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
    };

    [Theory]
    [MemberData(nameof(SpecBaseline))]
    public void Compute_SpecBaselineVector_Matches(byte proto, string saddr, string daddr, int? sport, int? dport, string expected)
    {
        string id = CommunityId.Compute(IpAddr.Parse(saddr), IpAddr.Parse(daddr), (ushort)(sport ?? 0), (ushort)(dport ?? 0), proto);
        Assert.Equal(expected, id);
    }

    [Fact]
    public void Compute_ReadmeExampleBothDirections_SameId()
    {
        var a = CommunityId.Compute(IpAddr.Parse("10.0.0.1"), IpAddr.Parse("127.0.0.1"), 1234, 80, 6);
        var b = CommunityId.Compute(IpAddr.Parse("127.0.0.1"), IpAddr.Parse("10.0.0.1"), 80, 1234, 6);
        Assert.Equal(a, b);
        Assert.StartsWith("1:", a, StringComparison.Ordinal);
    }

    [Fact]
    public void Aid_ReadmeExample_Matches()
    {
        // aid_hash README: make_tcp('14.125487', '127.0.0.1', '10.0.0.1', 1234, 80) -> 2:7RJA0SqvF3nbfatPoP1dkZnVvWw=
        string aid = Aid.Compute(14.125487, IpAddr.Parse("127.0.0.1"), IpAddr.Parse("10.0.0.1"), 1234, 80, 6);
        Assert.Equal("2:7RJA0SqvF3nbfatPoP1dkZnVvWw=", aid);
    }

    [Fact]
    public void Aid_SameTupleDifferentTime_Differs()
    {
        var s = IpAddr.Parse("192.168.1.2");
        var d = IpAddr.Parse("1.1.1.1");
        string a1 = Aid.Compute(1_700_000_000.000001, s, d, 5000, 443, 6);
        string a2 = Aid.Compute(1_700_000_000.000002, s, d, 5000, 443, 6);
        string a1Again = Aid.Compute(1_700_000_000.000001, d, s, 443, 5000, 6);
        Assert.NotEqual(a1, a2);
        Assert.Equal(a1, a1Again);
        Assert.StartsWith("2:", a1, StringComparison.Ordinal);
    }
}

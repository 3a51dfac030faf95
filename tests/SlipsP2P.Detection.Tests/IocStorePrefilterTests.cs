using SlipsP2P.Detection.ThreatIntelligence;

namespace SlipsP2P.Detection.Tests;

/// <summary>
/// The IPv4 /16 prefilter of <see cref="IocStore.TryMatchIp"/> (issue 5) answers exactly what probing every listed
/// prefix answers: checked against a linear scan over random stores and addresses.
/// </summary>
public sealed class IocStorePrefilterTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void TryMatchIp_RandomStore_SameAsLinearScan(int seed, bool withMappedV6Range)
    {
        var random = new Random(seed);
        var store = new IocStore();
        var ips = new List<(IpAddr Ip, IocInfo Info)>();
        var ranges = new List<(IpAddr Network, int Bits, IocInfo Info)>();
        for (int i = 0; i < 60; i++)
        {
            var info = new IocInfo("test", ThreatLevel.High, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var ip = RandomV4(random);
            switch (random.Next(4))
            {
                case 0:
                    store.AddIp(ip, info);
                    ips.Add((ip, info));
                    break;
                case 1:
                    int prefix = random.Next(4, 32);
                    store.AddRange(ip, prefix, info);
                    ranges.Add((ip, 96 + prefix, info));
                    break;
                case 2:
                    var v6 = new IpAddr(0x2001_0db8_0000_0000UL | (uint)random.Next(16), (ulong)random.NextInt64());
                    store.AddIp(v6, info);
                    ips.Add((v6, info));
                    break;
                default:
                    int p6 = random.Next(16, 64);
                    var net = new IpAddr(0x2001_0db8_0000_0000UL | ((ulong)(uint)random.Next(16) << 16), 0);
                    store.AddRange(net, p6, info);
                    ranges.Add((net, p6, info));
                    break;
            }
        }

        if (withMappedV6Range)
        {
            // ::ffff:0:0/96 as an IPv6 range covers every IPv4 address: the prefilter must stand aside.
            var info = new IocInfo("test", ThreatLevel.Low, "mapped");
            store.AddRange(IpAddr.Parse("::"), 80, info);
            ranges.Add((IpAddr.Parse("::"), 80, info));
        }

        int matches = 0;
        for (int i = 0; i < 20_000; i++)
        {
            // Half the probes near a listed address, so that ranges and IPs are hit as well as missed.
            IpAddr probe = random.Next(2) == 0 || ips.Count == 0 ? RandomV4(random) : Near(random, ranges.Count > 0 && random.Next(2) == 0 ? ranges[random.Next(ranges.Count)].Network : ips[random.Next(ips.Count)].Ip);
            bool expected = Linear(ips, ranges, probe, out var expectedInfo);
            bool actual = store.TryMatchIp(probe, out var info, out _);
            Assert.True(expected == actual, $"{probe}: expected {expected}, got {actual}");
            if (expected)
            {
                Assert.Same(expectedInfo, info);
                matches++;
            }
        }

        Assert.True(matches >= 100, $"only {matches} probes matched");
        if (!withMappedV6Range) Assert.True(matches <= 19_000, $"{matches} probes matched: too few misses to test the filter");
    }

    private static bool Linear(List<(IpAddr Ip, IocInfo Info)> ips, List<(IpAddr Network, int Bits, IocInfo Info)> ranges, IpAddr probe, out IocInfo? info)
    {
        info = null;
        foreach (var (ip, i) in ips)
        {
            if (ip == probe)
            {
                info = i;
                return true;
            }
        }

        // The longest listed prefix wins; among equal ones the first added (the store keeps the first at a level).
        int best = -1;
        foreach (var (network, bits, i) in ranges)
        {
            if (bits > best && Masked(network, bits) == Masked(probe, bits))
            {
                best = bits;
                info = i;
            }
        }

        return best >= 0;
    }

    private static IpAddr Masked(IpAddr ip, int bits)
    {
        UInt128 v = ((UInt128)ip.High << 64) | ip.Low;
        UInt128 mask = bits == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - bits);
        v &= mask;
        return new IpAddr((ulong)(v >> 64), (ulong)v);
    }

    private static IpAddr RandomV4(Random random) => IpAddr.FromV4((uint)random.NextInt64(0, 1L << 32));

    private static IpAddr Near(Random random, IpAddr ip) =>
        ip.IsV4 ? IpAddr.FromV4(ip.V4 ^ (uint)random.Next(1 << random.Next(1, 24))) : new IpAddr(ip.High, ip.Low ^ (ulong)random.Next(256));
}

using SlipsP2P.Detection.Detectors;
using SlipsP2P.Detection.Detectors.Dns;
using SlipsP2P.Detection.Profiling;

namespace SlipsP2P.Detection.Tests;

public class PackedUidListTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 64)]
    [InlineData(3, 65)]
    [InlineData(4, 500)]
    public void Snapshot_MixedUids_SameAsUidList(int seed, int count)
    {
        var random = new Random(seed);
        var packed = new PackedUidList();
        var expected = new UidList();
        for (int i = 0; i < count; i++)
        {
            string uid = random.Next(10) switch
            {
                0 => "",
                1 => "C-not+packable" + i,
                2 => "Cx" + new string('z', 30) + i,
                _ => "C" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "aB9",
            };
            bool packs = PackedUid.TryPack(uid, out var p);
            packed.Add(p, packs ? null : uid);
            expected.Add(uid);
            Assert.Equal(expected.Count, packed.Count);
        }

        Assert.Equal(expected.Snapshot(), packed.Snapshot());
    }

    [Fact]
    public void Clear_AfterWrapping_StartsAgain()
    {
        var list = new PackedUidList();
        for (int i = 0; i < 100; i++) list.Add(default, "u-" + i);
        list.Clear();
        Assert.Empty(list.Snapshot());
        Assert.True(PackedUid.TryPack("Cabc", out var p));
        list.Add(p, null);
        list.Add(default, "u+1");
        Assert.Equal(["Cabc", "u+1"], list.Snapshot());
    }

    [Theory]
    [InlineData("whois.cymru.com")]
    [InlineData("X.CYMRU.com")]
    [InlineData("ccymru.org")]
    [InlineData("cymr.com")]
    [InlineData("example.com")]
    [InlineData("cCyMrU")]
    [InlineData("cymr")]
    [InlineData("")]
    [InlineData("ćymru.cymrü")]
    public void ContainsCymru_SameAsIgnoreCaseContains(string query)
    {
        Assert.Equal(query.Contains("cymru", StringComparison.OrdinalIgnoreCase), DnsWithoutConnectionDetector.ContainsCymru(query));
    }
}

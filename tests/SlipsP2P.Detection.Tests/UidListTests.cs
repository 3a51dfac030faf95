using SlipsP2P.Detection.Detectors;
using SlipsP2P.Detection.Detectors.Dns;

namespace SlipsP2P.Detection.Tests;

public class UidListTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 64)]
    [InlineData(3, 65)]
    [InlineData(4, 500)]
    public void Snapshot_MixedUids_TheMostRecentNonEmptyInOrder(int seed, int count)
    {
        var random = new Random(seed);
        var list = new UidList();
        var prepacked = new UidList();
        var expected = new List<string>();
        for (int i = 0; i < count; i++)
        {
            string uid = random.Next(10) switch
            {
                0 => "",
                1 => "C-not+packable" + i,
                2 => "Cx" + new string('z', 30) + i,
                _ => "C" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "aB9",
            };
            list.Add(uid);
            bool packs = PackedUid.TryPack(uid, out var p);
            prepacked.Add(packs ? null : uid, p);
            if (uid.Length > 0) expected.Add(uid);
            var want = expected.Count > Evidence.MaxUids ? expected[^Evidence.MaxUids..] : expected;
            Assert.Equal(want.Count, list.Count);
            Assert.Equal(want, list.Snapshot());
            Assert.Equal(want, prepacked.Snapshot());
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(100)]
    public void Clear_AfterAnyNumberOfUids_StartsAgain(int before)
    {
        var list = new UidList();
        for (int i = 0; i < before; i++) list.Add("u-" + i);
        list.Clear();
        Assert.Equal(0, list.Count);
        Assert.Empty(list.Snapshot());
        list.Add("Cabc");
        Assert.Equal(["Cabc"], list.Snapshot());
        list.Add("u+1");
        list.Add("Cdef");
        Assert.Equal(["Cabc", "u+1", "Cdef"], list.Snapshot());
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

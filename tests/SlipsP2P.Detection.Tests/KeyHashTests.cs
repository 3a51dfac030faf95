using SlipsP2P.Detection.Profiling;

namespace SlipsP2P.Detection.Tests;

/// <summary>The 64-bit hashes that membership sets keep instead of uid strings and address pairs (issue 5).</summary>
public sealed class KeyHashTests
{
    [Fact]
    public void Of_SameCharactersInDifferentStrings_SameHash()
    {
        string a = "CHhAvVGS1DHFjwGM9";
        string b = new(a.AsSpan()); // another object with the same characters

        Assert.Equal(KeyHash.Of(a), KeyHash.Of(b));
    }

    [Fact]
    public void TryOfUid_PackedOrText_SameHashAndNoneForAnEmptyUid()
    {
        Assert.True(PackedUid.TryPack("CHhAvVGS1DHFjwGM9", out var packed));
        var asText = new DnsRecord { Uid = "CHhAvVGS1DHFjwGM9" };
        var asPacked = new DnsRecord();
        asPacked.SetUid(packed);
        var unpackable = new DnsRecord { Uid = "flow-17" };

        Assert.True(KeyHash.TryOfUid(asText, out ulong a));
        Assert.True(KeyHash.TryOfUid(asPacked, out ulong b));
        Assert.Equal(a, b);
        Assert.True(KeyHash.TryOfUid(unpackable, out ulong c));
        Assert.Equal(KeyHash.Of("flow-17"), c);
        Assert.False(KeyHash.TryOfUid(new DnsRecord(), out _));
        Assert.False(asPacked.HasUid && !asText.HasUid);
        Assert.False(new DnsRecord().HasUid);
    }

    [Theory]
    [InlineData("", "\0")]
    [InlineData("a", "a\0")]
    [InlineData("C1234567", "C12345678")]
    [InlineData("abcd", "abce")]
    [InlineData("CAAAAAAAAAAAAAAAAA", "CAAAAAAAAAAAAAAAAB")]
    public void Of_TextsThatDiffer_DifferentHashes(string a, string b) => Assert.NotEqual(KeyHash.Of(a), KeyHash.Of(b));

    [Fact]
    public void Of_ManyUidShapedTexts_NoCollision()
    {
        // Zeek-shaped uids that differ in one or two characters, the case a weak hash gets wrong.
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var seen = new HashSet<ulong>();
        Span<char> uid = stackalloc char[18];
        uid.Fill('A');
        uid[0] = 'C';
        int count = 0;
        for (int i = 0; i < 62; i++)
        {
            for (int j = 0; j < 62; j++)
            {
                for (int k = 0; k < 62; k++)
                {
                    uid[3] = alphabet[i];
                    uid[9] = alphabet[j];
                    uid[17] = alphabet[k];
                    Assert.True(seen.Add(KeyHash.Of(uid)), $"collision at {uid.ToString()}");
                    count++;
                }
            }
        }

        Assert.Equal(62 * 62 * 62, count);
    }

    [Fact]
    public void Of_AddressPairs_OrderMattersAndNoCollision()
    {
        var a = IpAddr.FromV4(0x0A000101);
        var b = IpAddr.FromV4(0x01020304);
        Assert.NotEqual(KeyHash.Of(a, b), KeyHash.Of(b, a));
        Assert.Equal(KeyHash.Of(a, b), KeyHash.Of(IpAddr.FromV4(0x0A000101), IpAddr.FromV4(0x01020304)));

        var seen = new HashSet<ulong>();
        for (uint client = 0; client < 256; client++)
        {
            for (uint server = 0; server < 1024; server++)
            {
                Assert.True(seen.Add(KeyHash.Of(IpAddr.FromV4(0x0A000100 + client), IpAddr.FromV4(0x5D000000 + server))));
            }
        }
    }
}

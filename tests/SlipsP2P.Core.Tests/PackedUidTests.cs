using System.Text;

namespace SlipsP2P.Core.Tests;

/// <summary>Flow uids packed in 16 bytes, and records that carry them packed until their text is read.</summary>
public class PackedUidTests
{
    [Theory]
    [InlineData("C")]
    [InlineData("0")]
    [InlineData("CHhAvVGS1DHFjwGM9")]
    [InlineData("C0aZ9zA8bY7cX6dW5e")]
    [InlineData("18446744073709551615")]
    [InlineData("zzzzzzzzzzzzzzzzzzzz")]
    public void TryPack_UidCharacters_RoundTrips(string uid)
    {
        Assert.True(PackedUid.TryPack(uid, out var packed));
        Assert.False(packed.IsEmpty);
        Assert.Equal(uid, packed.ToString());
        Assert.True(PackedUid.TryPack(Encoding.UTF8.GetBytes(uid), out var fromBytes));
        Assert.Equal(packed, fromBytes);
    }

    [Theory]
    [InlineData("C0aZ9zA8bY7cX6dW5e123")] // 21 characters
    [InlineData("uid-1")]
    [InlineData("C_1")]
    [InlineData("C 1")]
    [InlineData("Cé")]
    [InlineData("C\01")]
    public void TryPack_OtherText_False(string uid)
    {
        Assert.False(PackedUid.TryPack(uid, out _));
        Assert.False(PackedUid.TryPack(Encoding.UTF8.GetBytes(uid), out _));
    }

    [Fact]
    public void TryPack_Empty_IsTheDefault()
    {
        Assert.True(PackedUid.TryPack("", out var packed));
        Assert.True(packed.IsEmpty);
        Assert.Equal(default, packed);
        Assert.Equal("", default(PackedUid).ToString());
    }

    [Fact]
    public void CodeTable_EqualsTheAlphabetsCodes() =>
        Assert.Equal(PackedUid.CodesFromAlphabet(), PackedUid.Codes.ToArray());

    [Theory]
    [InlineData("C")]
    [InlineData("C0aZ9zA8bY")]
    [InlineData("C0aZ9zA8bY7cX6dW5e")]
    [InlineData("zzzzzzzzzzzzzzzzzzzz")]
    public void FromCodes_AlphabetIndexesPlusOne_EqualsThePackedText(string uid)
    {
        var (low, high) = CodesOf(uid);

        Assert.True(PackedUid.TryPack(uid, out var packed));
        Assert.Equal(packed, PackedUid.FromCodes(low, high));
        Assert.Equal(uid, PackedUid.FromCodes(low, high).ToString());
    }

    [Fact]
    public void FromCodes_BitsAboveTheTenCodes_Ignored() =>
        Assert.Equal(PackedUid.FromCodes(13, 0), PackedUid.FromCodes(13 | (0xFUL << 60), 0xFUL << 60));

    [Fact]
    public void TryPack_DifferentUids_DifferentValues()
    {
        Assert.True(PackedUid.TryPack("CAAAAAAAAAAAAAAAAA", out var a));
        Assert.True(PackedUid.TryPack("CAAAAAAAAAAAAAAAAB", out var b));
        Assert.True(PackedUid.TryPack("CAAAAAAAAAAAAAAAA", out var c));
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Uid_SetPacked_TextMadeOnFirstReadAndTheSameEachTime()
    {
        Assert.True(PackedUid.TryPack("CHhAvVGS1DHFjwGM9", out var packed));
        var flow = new FlowRecord();
        flow.SetUid(packed);

        Assert.True(flow.TryGetPackedUid(out var back));
        Assert.Equal(packed, back);
        string text = flow.Uid;
        Assert.Equal("CHhAvVGS1DHFjwGM9", text);
        Assert.Same(text, flow.Uid);
        Assert.True(flow.TryGetPackedUid(out back));
        Assert.Equal(packed, back);
    }

    [Theory]
    [InlineData("CHhAvVGS1DHFjwGM9", true)]
    [InlineData("flow-17", false)]
    [InlineData("", true)]
    public void Uid_SetAsText_PackedOnlyWhenItPacks(string uid, bool packs)
    {
        var record = new DnsRecord { Uid = uid };

        Assert.Equal(packs, record.TryGetPackedUid(out var packed));
        Assert.Equal(packs ? uid : "", packed.ToString());
        Assert.Equal(uid, record.Uid);
    }

    [Fact]
    public void Uid_TextSetAfterPacked_ReplacesIt()
    {
        Assert.True(PackedUid.TryPack("CAAAAAAAAAAAAAAAAA", out var packed));
        var flow = new FlowRecord();
        flow.SetUid(packed);
        flow.Uid = "other uid";

        Assert.Equal("other uid", flow.Uid);
        Assert.False(flow.TryGetPackedUid(out _));
        flow.SetUid(default);
        Assert.Equal("", flow.Uid);
        Assert.True(flow.TryGetPackedUid(out var empty));
        Assert.True(empty.IsEmpty);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(61UL)]
    [InlineData(62UL)]
    [InlineData(13_537_086_546_263_551UL)] // 62^9 - 1: the low half's digits all 'z'
    [InlineData(13_537_086_546_263_552UL)] // 62^9: the first digit of the high half
    [InlineData(0x7FFF_FFFF_FFFF_FFFFUL)] // the largest
    public void FromNumber_TryGetNumber_RoundTripsThroughTheText(ulong number)
    {
        var uid = PackedUid.FromNumber(number);
        string text = uid.ToString();

        Assert.Matches("^C[0-9A-Za-z]{17}$", text);
        Assert.True(uid.TryGetNumber(out ulong back));
        Assert.Equal(number, back);
        // As read back from a file the node wrote.
        Assert.True(PackedUid.TryPack(text, out var reread));
        Assert.True(reread.TryGetNumber(out back));
        Assert.Equal(number, back);
    }

    [Fact]
    public void FromNumber_ManyNumbers_DistinctAndEachGivesItsOwnBack()
    {
        var rng = new Random(5);
        var seen = new HashSet<PackedUid>();
        for (int i = 0; i < 20_000; i++)
        {
            ulong number = (ulong)rng.NextInt64() & (PackedUid.NumberLimit - 1);
            var uid = PackedUid.FromNumber(number);
            Assert.True(seen.Add(uid));
            Assert.True(uid.TryGetNumber(out ulong back));
            Assert.Equal(number, back);
        }
    }

    [Fact]
    public void TryGetCode_NumberedUid_TaggedAndGivesTheUidBack()
    {
        var uid = PackedUid.FromNumber(PackedUid.NumberLimit - 1);
        Assert.True(uid.TryGetCode(out ulong code));
        Assert.True(PackedUid.IsCode(code));
        Assert.Equal(uid, PackedUid.FromCode(code));
        Assert.True(PackedUid.FromNumber(0).TryGetCode(out code));
        Assert.Equal(PackedUid.CodeTag, code);
        // A holder's own small values are never codes.
        Assert.False(PackedUid.IsCode(0));
        Assert.False(PackedUid.IsCode(int.MaxValue + 1UL));
        Assert.True(PackedUid.TryPack("CHhAvVGS1DHFjwGM9a", out var zeek));
        Assert.False(zeek.TryGetCode(out code));
        Assert.Equal(0UL, code);
    }

    [Fact]
    public void FromNumber_AtTheLimit_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedUid.FromNumber(PackedUid.NumberLimit));

    [Theory]
    [InlineData("")]
    [InlineData("C")]
    [InlineData("CHhAvVGS1DHFjwGM9")] // Zeek's: 17 characters
    [InlineData("CHhAvVGS1DHFjwGM9a")] // Zeek's shape, random check digits
    [InlineData("DHhAvVGS1DHFjwGM9a")] // not starting with C
    [InlineData("Czzzzzzzzzzzzzzzzz")] // its number would be 62^11 - 1, above 2^63
    [InlineData("18446744073709551615")]
    public void TryGetNumber_UidsNotMadeFromANumber_False(string text)
    {
        Assert.True(PackedUid.TryPack(text, out var uid));
        Assert.False(uid.TryGetNumber(out _));
    }

    [Fact]
    public void TryGetNumber_OneCharacterChanged_False()
    {
        string text = PackedUid.FromNumber(123_456_789_012_345UL).ToString();
        for (int i = 1; i < text.Length; i++)
        {
            char other = text[i] == 'x' ? 'y' : 'x';
            string changed = string.Concat(text.AsSpan(0, i), other.ToString(), text.AsSpan(i + 1));
            Assert.True(PackedUid.TryPack(changed, out var uid));
            Assert.False(uid.TryGetNumber(out _), changed);
        }

        // A code outside the alphabet (63, which FromCodes lets through) where the first digit is expected.
        var (low, high) = CodesOf(text);
        Assert.True(PackedUid.FromCodes(low, high).TryGetNumber(out _));
        Assert.False(PackedUid.FromCodes((low & ~(0x3FUL << 6)) | (63UL << 6), high).TryGetNumber(out _));
    }

    /// <summary>The six-bit codes of <paramref name="uid"/> as the tests work them out: alphabet index plus one.</summary>
    private static (ulong Low, ulong High) CodesOf(string uid)
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        ulong low = 0, high = 0;
        for (int i = 0; i < uid.Length; i++)
        {
            ulong code = (ulong)alphabet.IndexOf(uid[i], StringComparison.Ordinal) + 1;
            if (i < PackedUid.CharsPerHalf) low |= code << (6 * i);
            else high |= code << (6 * (i - PackedUid.CharsPerHalf));
        }

        return (low, high);
    }
}

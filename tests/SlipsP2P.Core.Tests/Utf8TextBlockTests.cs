using System.Text;

namespace SlipsP2P.Core.Tests;

public class Utf8TextBlockTests
{
    [Fact]
    public void TryAppend_UntilFull_EveryTextReadsBackAndTheLastOneIsRefused()
    {
        var block = new Utf8TextBlock(Utf8TextBlock.MaxTextLength + 1 + 40);
        var offsets = new List<(ushort At, string Text)>();

        // Arrange: texts of every length from 0 up, until the block refuses one.
        for (int n = 0; ; n++)
        {
            string text = new string((char)('a' + (n % 26)), n);
            if (!block.TryAppend(Encoding.UTF8.GetBytes(text), out ushort at)) break;
            offsets.Add((at, text));
        }

        // 0+1+...+k lengths plus one length byte each fill 296 bytes at k = 22 (276 bytes), 23 would need 300.
        Assert.Equal(23, offsets.Count);
        foreach (var (at, text) in offsets) Assert.Equal(text, block.GetString(at));

        // A refused text writes nothing: a short one still fits after it.
        Assert.True(block.TryAppend("xy"u8, out ushort last));
        Assert.Equal("xy", block.GetString(last));
        Assert.Equal(offsets[^1].Text, block.GetString(offsets[^1].At));
    }

    [Fact]
    public void TryAppend_LongerThanALengthByte_Refused()
    {
        var block = new Utf8TextBlock();

        Assert.False(block.TryAppend(new byte[Utf8TextBlock.MaxTextLength + 1], out _));
        Assert.True(block.TryAppend(new byte[Utf8TextBlock.MaxTextLength], out ushort at));
        Assert.Equal(Utf8TextBlock.MaxTextLength, block.Text(at).Length);
    }

    [Theory]
    [InlineData(Utf8TextBlock.MaxTextLength)]
    [InlineData(ushort.MaxValue + 2)]
    public void Constructor_SizeOutsideOffsets_Throws(int size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Utf8TextBlock(size));

    [Fact]
    public void GetString_InvalidUtf8_DecodedAsEncodingUtf8Does()
    {
        var block = new Utf8TextBlock();
        byte[] bad = [(byte)'1', (byte)':', 0xC3, 0x28, 0xFF];
        Assert.True(block.TryAppend(bad, out ushort at));

        Assert.Equal(Encoding.UTF8.GetString(bad), block.GetString(at));
    }

    [Fact]
    public void CommunityIdAndAid_KeptInABlock_ReadAsTheirTextAndSetAgainAsStrings()
    {
        var block = new Utf8TextBlock();
        Assert.True(block.TryAppend("1:+3K3uKADQnAz3GPt8tkjtdsPeOY="u8, out ushort cid));
        Assert.True(block.TryAppend("2:hqYhW3JCz/Tz2LRPwfEeS8GJ5ug="u8, out ushort aid));
        var f = new FlowRecord();
        Assert.Equal(("", ""), (f.CommunityId, f.Aid));

        f.SetCommunityIdText(block, cid);
        f.SetAidText(block, aid);

        string first = f.CommunityId;
        Assert.Equal("1:+3K3uKADQnAz3GPt8tkjtdsPeOY=", first);
        Assert.Same(first, f.CommunityId); // made once, then kept
        Assert.Equal("2:hqYhW3JCz/Tz2LRPwfEeS8GJ5ug=", f.Aid);
        f.CommunityId = "";
        f.Aid = "2:x";
        Assert.Equal(("", "2:x"), (f.CommunityId, f.Aid));
    }
}

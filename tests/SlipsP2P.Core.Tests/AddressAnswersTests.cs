namespace SlipsP2P.Core.Tests;

public sealed class AddressAnswersTests
{
    [Fact]
    public void List_ReadsAsTheAddressesTexts_InOrder()
    {
        var answers = new AddressAnswers([IpAddr.Parse("192.0.2.1"), IpAddr.Parse("2001:db8::7"), IpAddr.Parse("::ffff:198.51.100.2")]);
        Assert.Equal(3, answers.Count);
        Assert.Equal(["192.0.2.1", "2001:db8::7", "198.51.100.2"], answers);
        Assert.Equal(IpAddr.Parse("2001:db8::7"), answers.Addresses[1]);
    }

    [Fact]
    public void Indexer_OutOfRange_ThrowsAsAListDoes()
    {
        var answers = new AddressAnswers([IpAddr.Parse("192.0.2.1")]);
        Assert.Throws<IndexOutOfRangeException>(() => answers[1]);
        Assert.Throws<IndexOutOfRangeException>(() => answers[-1]);
    }

    [Fact]
    public void Text_MadeOnceAndKept()
    {
        var answers = new AddressAnswers([IpAddr.Parse("192.0.2.1")]);
        Assert.Same(answers[0], answers[0]);
    }

    [Fact]
    public void TryGetAddress_AddressListOrTexts_SameAddressesNamesRefused()
    {
        IReadOnlyList<string> asAddresses = new AddressAnswers([IpAddr.Parse("192.0.2.1"), IpAddr.Parse("2001:db8::7")]);
        IReadOnlyList<string> asTexts = ["192.0.2.1", "2001:db8::7", "cdn.example.net"];
        for (int i = 0; i < 2; i++)
        {
            Assert.True(AddressAnswers.TryGetAddress(asAddresses, i, out var a));
            Assert.True(AddressAnswers.TryGetAddress(asTexts, i, out var b));
            Assert.Equal(a, b);
        }

        Assert.False(AddressAnswers.TryGetAddress(asTexts, 2, out _));
    }
}

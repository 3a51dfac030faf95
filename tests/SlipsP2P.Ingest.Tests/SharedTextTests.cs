using System.Text;
using SlipsP2P.Ingest.App;

namespace SlipsP2P.Ingest.Tests;

public sealed class SharedTextTests
{
    [Fact]
    public void Get_SameCharacters_ReturnsTheSameString()
    {
        string first = SharedText.Get("shared-text-test.example.org".AsSpan());
        string second = SharedText.Get(new string("shared-text-test.example.org".ToCharArray()).AsSpan());
        Assert.Same(first, second);
        Assert.Equal("shared-text-test.example.org", first);
    }

    [Fact]
    public void Get_DifferentValues_NeverMixedUp()
    {
        // Many more values than slots: whatever the collisions, each call returns its own characters.
        for (int i = 0; i < SharedText.Slots * 4; i++)
        {
            string value = "host-" + i + ".example";
            Assert.Equal(value, SharedText.Get(value.AsSpan()));
        }
    }

    [Fact]
    public async Task Get_TwoThreadsOnTheSameSlots_EachGetsItsOwnCharacters()
    {
        // The flow workers share the table: a slot's hash and string written by one thread while the other reads
        // must only cost a miss, never return the other thread's value.
        const int Rounds = 200_000;
        int wrong = 0;
        void Run(string prefix)
        {
            for (int i = 0; i < Rounds; i++)
            {
                string value = prefix + (i % (SharedText.Slots * 2));
                if (!string.Equals(SharedText.Get(value.AsSpan()), value, StringComparison.Ordinal)) Interlocked.Increment(ref wrong);
            }
        }

        var a = Task.Run(() => Run("a.example/"), TestContext.Current.CancellationToken);
        var b = Task.Run(() => Run("b.example/"), TestContext.Current.CancellationToken);
        await Task.WhenAll(a, b);
        Assert.Equal(0, wrong);
    }

    [Fact]
    public void Get_LongerThanTheLimit_IsNotShared()
    {
        string longValue = new('a', SharedText.MaxSharedLength + 1);
        string a = SharedText.Get(longValue.AsSpan());
        string b = SharedText.Get(longValue.AsSpan());
        Assert.Equal(longValue, a);
        Assert.NotSame(a, b);
    }

    [Fact]
    public void Printable_ControlAndHighBytes_BecomeQuestionMarks()
    {
        byte[] bytes = [(byte)'a', 0x01, (byte)' ', 0x80, (byte)'z'];
        Assert.Equal("a? ?z", SharedText.Printable(bytes, 0x20, 100));
        Assert.Equal("a???z", SharedText.Printable(bytes, 0x21, 100));
        Assert.Equal("a?", SharedText.Printable(bytes, 0x20, 2));
        Assert.Equal("", SharedText.Printable([], 0x20, 100));
    }

    [Fact]
    public void Printable_NotShared_GivesAFreshEqualString()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("/index.html?q=1");
        string a = SharedText.Printable(bytes, 0x20, 100, share: false);
        string b = SharedText.Printable(bytes, 0x20, 100, share: false);
        Assert.Equal("/index.html?q=1", a);
        Assert.NotSame(a, b);
    }

    [Fact]
    public void Printable_LongerThanTheStackBuffer_IsWholeUpToTheLimit()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(new string('u', 5000));
        Assert.Equal(new string('u', 4096), SharedText.Printable(bytes, 0x20, 4096));
    }
}

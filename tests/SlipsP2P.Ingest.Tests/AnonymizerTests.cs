using SlipsP2P.Core;
using SlipsP2P.Ingest.Anonymization;

namespace SlipsP2P.Ingest.Tests;

public class AnonymizerTests
{
    private sealed class Collect : IEventSink
    {
        public List<NetEvent> Events { get; } = new();

        public void OnEvent(NetEvent record) => Events.Add(record);
    }

    private static readonly byte[] s_key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void OnEvent_Flow_ReplacesAddressesKeepingPrivatenessAndFamily()
    {
        var sink = new Collect();
        using var anon = new IpAnonymizer(sink, (byte[])s_key.Clone());
        var flow = new FlowRecord
        {
            Source = IpAddr.Parse("192.168.1.5"), Destination = IpAddr.Parse("8.8.8.8"), CommunityId = "1:abc", SourceMac = "aa:bb:cc:dd:ee:ff",
        };
        anon.OnEvent(flow);

        Assert.Single(sink.Events);
        Assert.NotEqual(IpAddr.Parse("192.168.1.5"), flow.Source);
        Assert.NotEqual(IpAddr.Parse("8.8.8.8"), flow.Destination);
        Assert.True(flow.Source.IsPrivate);
        Assert.False(flow.Destination.IsPrivate);
        Assert.True(flow.Source.IsV4 && flow.Destination.IsV4);
        Assert.Equal("", flow.CommunityId);
        Assert.Equal("", flow.SourceMac);

        var v6 = anon.Map(IpAddr.Parse("2001:db8::1"));
        Assert.False(v6.IsV4);
        Assert.NotEqual(IpAddr.Parse("2001:db8::1"), v6);
    }

    [Fact]
    public void Map_SameKey_IsStableAndOneToOne()
    {
        using var a = new IpAnonymizer(new Collect(), (byte[])s_key.Clone());
        using var b = new IpAnonymizer(new Collect(), (byte[])s_key.Clone());
        var seen = new HashSet<IpAddr>();
        for (uint i = 0; i < 5000; i++)
        {
            var ip = IpAddr.FromV4(0x0A00_0000u + i);
            var m = a.Map(ip);
            Assert.Equal(m, a.Map(ip));
            Assert.Equal(m, b.Map(ip));
            Assert.True(seen.Add(m), "two addresses mapped to one");
            Assert.True(m.IsPrivate);
        }
    }

    [Fact]
    public void Map_DifferentKeys_Differ()
    {
        using var a = new IpAnonymizer(new Collect(), (byte[])s_key.Clone());
        using var b = new IpAnonymizer(new Collect(), Enumerable.Repeat((byte)7, 32).ToArray());
        Assert.NotEqual(a.Map(IpAddr.Parse("1.2.3.4")), b.Map(IpAddr.Parse("1.2.3.4")));
    }

    [Fact]
    public void OnEvent_Dns_MapsAnswersAndReverseQueries()
    {
        var sink = new Collect();
        using var anon = new IpAnonymizer(sink, (byte[])s_key.Clone());
        var dns = new DnsRecord
        {
            Source = IpAddr.Parse("10.0.0.2"), Destination = IpAddr.Parse("10.0.0.1"),
            Query = "4.3.2.1.in-addr.arpa", Answers = ["1.2.3.4", "example.com"],
        };
        anon.OnEvent(dns);
        string mapped = anon.Map(IpAddr.Parse("1.2.3.4")).ToString();
        Assert.Equal(mapped, dns.Answers[0]);
        Assert.Equal("example.com", dns.Answers[1]);
        Assert.DoesNotContain("4.3.2.1", dns.Query);
        Assert.EndsWith(".in-addr.arpa", dns.Query);
        Assert.Equal(string.Join('.', mapped.Split('.').Reverse()) + ".in-addr.arpa", dns.Query);
    }

    [Fact]
    public void WriteMapping_ListsEveryReplacedAddress()
    {
        using var anon = new IpAnonymizer(new Collect(), (byte[])s_key.Clone());
        var m1 = anon.Map(IpAddr.Parse("8.8.4.4"));
        var m2 = anon.Map(IpAddr.Parse("192.168.0.1"));
        anon.Map(IpAddr.Parse("224.0.0.251")); // multicast identifies no one: kept, not listed
        var sw = new StringWriter();
        anon.WriteMapping(sw);
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["original,anonymized", $"8.8.4.4,{m1}", $"192.168.0.1,{m2}"], lines);
    }

    [Fact]
    public void Constructor_ShortKey_Throws() =>
        Assert.Throws<ArgumentException>(() => new IpAnonymizer(new Collect(), new byte[8]));
}

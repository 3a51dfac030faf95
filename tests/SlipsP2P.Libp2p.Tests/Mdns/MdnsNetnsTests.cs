using System.Security.Cryptography;
using System.Text;
using SlipsP2P.Libp2p.Tests.Node;
using SlipsP2P.Testing;

namespace SlipsP2P.Libp2p.Tests.Mdns;

/// <summary>
/// Live mDNS between two <c>slips p2p --mdns</c> processes, each in a network namespace this test creates and joins
/// with a veth pair. Multicast never leaves those namespaces.
/// </summary>
[Trait("Requires", "root")]
public sealed class MdnsNetnsTests
{
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(60);

    private static void Ip(string arguments)
    {
        var (code, _, stderr) = Requires.Run(Requires.Tool("ip"), arguments, TimeSpan.FromSeconds(20));
        if (code != 0) throw new InvalidOperationException($"ip {arguments}: {stderr.Trim()}");
    }

    [Fact]
    public async Task Mdns_TwoNodesInTestNamespaces_DiscoverConnectAndGossip()
    {
        Requires.Root();
        Requires.Tool("ip");
        NodeProcess.SlipsDll();
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        string nsA = "slmdA" + id, nsB = "slmdB" + id, vA = "vma" + id, vB = "vmb" + id;
        NodeProcess? a = null, b = null;
        try
        {
            // Arrange: two namespaces joined by a veth pair, a multicast route on each end.
            Ip($"netns add {nsA}");
            Ip($"netns add {nsB}");
            Ip($"link add {vA} type veth peer name {vB}");
            Ip($"link set {vA} netns {nsA}");
            Ip($"link set {vB} netns {nsB}");
            Ip($"-n {nsA} addr add 10.78.0.1/24 dev {vA}");
            Ip($"-n {nsB} addr add 10.78.0.2/24 dev {vB}");
            foreach (var (ns, dev) in new[] { (nsA, vA), (nsB, vB) })
            {
                Ip($"-n {ns} link set lo up");
                Ip($"-n {ns} link set {dev} up");
                Ip($"-n {ns} route add 224.0.0.0/4 dev {dev}");
            }

            // Act: one node per namespace, listening on every address, with mDNS every second.
            string ip = Requires.Tool("ip");
            const string args = "--mdns --mdns-interval 1 --topic lan --listen /ip4/0.0.0.0/tcp/0";
            a = await NodeProcess.StartP2pAsync("a", args, s_step, prefix: $"{ip} netns exec {nsA}");
            b = await NodeProcess.StartP2pAsync("b", args, s_step, prefix: $"{ip} netns exec {nsB}");

            // Assert: they find each other over mDNS, connect over the veth and gossip.
            string aId = a.PeerId, bId = b.PeerId;
            Assert.Contains(a.Addresses, x => x.StartsWith("/ip4/10.78.0.1/tcp/", StringComparison.Ordinal));
            await a.WaitForAsync(e => NodeProcess.Is(e, "connected") && NodeProcess.Str(e, "peerId") == bId, s_step);
            await b.WaitForAsync(e => NodeProcess.Is(e, "connected") && NodeProcess.Str(e, "peerId") == aId, s_step);
            var discovered = a.Events.Concat(b.Events).Where(e => NodeProcess.Is(e, "discovered")).ToList();
            Assert.Contains(discovered, e => NodeProcess.Str(e, "source") == "mdns");
            await b.WaitForAsync(e => NodeProcess.Is(e, "subscribed") && NodeProcess.Str(e, "peerId") == aId, s_step);
            // a publishes only to peers it knows are subscribed: wait until it has seen b's subscription too.
            await a.WaitForAsync(e => NodeProcess.Is(e, "subscribed") && NodeProcess.Str(e, "peerId") == bId, s_step);
            await a.SendLineAsync("over the lan");
            await b.WaitForAsync(e => NodeProcess.Is(e, "message") && NodeProcess.Str(e, "from") == aId
                                      && Encoding.UTF8.GetString(Convert.FromBase64String(NodeProcess.Str(e, "data"))) == "over the lan", s_step);
        }
        finally
        {
            if (a is not null) await a.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            if (b is not null) await b.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            foreach (var ns in new[] { nsA, nsB })
            {
                // Deleting a namespace also deletes the veth end inside it.
                Requires.Run(Requires.Tool("ip"), $"netns del {ns}", TimeSpan.FromSeconds(20));
            }
        }
    }
}

using System.Diagnostics;
using SlipsP2P.Testing;

namespace SlipsP2P.Interop.Tests;

/// <summary>A js gossip peer (tests/interop-js/gossip-peer.mjs) printing its events as JSON lines.</summary>
internal sealed class GossipProcess : JsonLineProcess
{
    private GossipProcess(Process process, string name)
        : base(process, name)
    {
    }

    /// <summary>Starts <c>node gossip-peer.mjs arguments</c> in tests/interop-js and waits for its listening event.</summary>
    public static async Task<GossipProcess> StartJsAsync(string name, string arguments, TimeSpan timeout)
    {
        string node = Requires.Tool("node");
        string dir = Path.Combine(Requires.RepoRoot, "tests", "interop-js");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@chainsafe", "libp2p-gossipsub")))
        {
            Requires.Missing($"{dir}/node_modules (with @chainsafe/libp2p-gossipsub) is missing: run 'npm ci' in tests/interop-js (./test.sh does)");
        }

        var psi = new ProcessStartInfo(node, "gossip-peer.mjs " + arguments)
        {
            WorkingDirectory = dir,
        };
        return await StartAsync(psi, p => new GossipProcess(p, name), timeout);
    }
}

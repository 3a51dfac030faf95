using System.Text.Json;
using SlipsP2P.Testing;

namespace SlipsP2P.Interop.Tests;

/// <summary>
/// The js-libp2p halves of bench/libp2p.sh still run against the pinned packages and report what the table reads.
/// Small sizes; no rate is asserted (that is the benchmark's job, not a test's).
/// </summary>
public sealed class BenchScriptTests
{
    private static JsonElement RunScript(string arguments)
    {
        string node = Requires.Tool("node");
        string dir = Path.Combine(Requires.RepoRoot, "tests", "interop-js");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "libp2p")))
        {
            Requires.Missing($"{dir}/node_modules is missing: run 'npm ci' in tests/interop-js (./test.sh does)");
        }

        var (exit, stdout, stderr) = Requires.Run(node, arguments, TimeSpan.FromMinutes(3), workingDirectory: dir);
        Assert.True(exit == 0, $"node {arguments} exited {exit}: {stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        return JsonDocument.Parse(lines[^1]).RootElement.Clone();
    }

    [Fact]
    public void BenchGossip_SmallBurst_ReportsDeliveredAndLost()
    {
        var result = RunScript("bench-gossip.mjs --count 300");

        Assert.Equal("js-libp2p", result.GetProperty("impl").GetString());
        int delivered = result.GetProperty("delivered").GetInt32();
        Assert.InRange(delivered, 1, 300);
        Assert.Equal(300 - delivered, result.GetProperty("lost").GetInt32());
        Assert.True(result.GetProperty("msgPerSec").GetDouble() > 0);
    }

    [Fact]
    public void BenchStream_EightMegabytes_ListenerCountsEveryByte()
    {
        // The script exits 1 unless the listener's byte count equals what was sent.
        var result = RunScript("bench-stream.mjs --megabytes 8");

        Assert.Equal(8, result.GetProperty("megabytes").GetInt32());
        Assert.True(result.GetProperty("gbitPerSec").GetDouble() > 0);
    }
}

using System.Security.Cryptography;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>lab/netns.sh itself: the lab stays inside its namespaces, works, and leaves nothing behind.</summary>
[Trait("Category", "EndToEnd")]
public sealed class LabNetnsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static string NetnsScript => Path.Combine(Requires.RepoRoot, "lab", "netns.sh");

    [Fact]
    public void UpThenDown_Lab_RoutesInsideAndLeavesHostUntouched()
    {
        Requires.Root();
        Requires.Tool("ip");
        string prefix = "nt" + RandomNumberGenerator.GetHexString(4, lowercase: true);
        try
        {
            var up = Run("bash", CliRunner.JoinArguments([NetnsScript, "up", prefix]));
            Assert.True(up.ExitCode == 0, up.Stderr);

            // Seven namespaces, and none of the lab's links or routes in the host's own namespace.
            string namespaces = Run("ip", "netns list").Stdout;
            foreach (string host in (string[])["att", "cli", "rt", "v1", "v2", "v3", "srv"])
            {
                Assert.Contains(prefix + "-" + host, namespaces, StringComparison.Ordinal);
            }

            AssertHostUntouched(prefix);

            // The attacker reaches a victim's closed port across the router (a refusal, not a timeout), over IPv4
            // and IPv6; the attacker namespace has no way to the host's addresses.
            var refused = Run("bash", CliRunner.JoinArguments([NetnsScript, "exec", prefix, "att", "bash", "-c",
                "timeout 10 bash -c 'exec 3<>/dev/tcp/10.77.1.11/81'; echo exit $?"]));
            Assert.Contains("refused", refused.Stdout + refused.Stderr, StringComparison.OrdinalIgnoreCase);
            var refused6 = Run("bash", CliRunner.JoinArguments([NetnsScript, "exec", prefix, "att", "bash", "-c",
                "timeout 10 bash -c 'exec 3<>/dev/tcp/fd77:0:0:1::11/81'; echo exit $?"]));
            Assert.Contains("refused", refused6.Stdout + refused6.Stderr, StringComparison.OrdinalIgnoreCase);
            string[] attackerRoutes = Run("bash", CliRunner.JoinArguments([NetnsScript, "exec", prefix, "att", "ip", "route", "show"])).Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(2, attackerRoutes.Length);
            Assert.StartsWith("default via 10.77.0.1 dev eth0", attackerRoutes[0], StringComparison.Ordinal);
            Assert.StartsWith("10.77.0.0/24 dev eth0", attackerRoutes[1], StringComparison.Ordinal);
            // The router knows only the lab's two subnets: there is no default route out of the lab.
            string routerRoutes = Run("bash", CliRunner.JoinArguments([NetnsScript, "exec", prefix, "rt", "ip", "route", "show"])).Stdout;
            Assert.DoesNotContain("default", routerRoutes, StringComparison.Ordinal);
        }
        finally
        {
            var down = Run("bash", CliRunner.JoinArguments([NetnsScript, "down", prefix]));
            Assert.True(down.ExitCode == 0, down.Stderr);
        }

        AssertNoLabNamespaces(prefix);
        AssertHostUntouched(prefix);
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("a")]
    [InlineData("has-dash")]
    [InlineData("waytoolongprefix")]
    public void Up_BadPrefix_FailsNamingIt(string prefix)
    {
        Requires.Root();

        var up = Run("bash", CliRunner.JoinArguments([NetnsScript, "up", prefix]));

        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains($"bad lab prefix '{prefix}'", up.Stderr, StringComparison.Ordinal);
        AssertNoLabNamespaces(prefix);
    }

    [Fact]
    public void MakeCaptures_UnwritableOutput_FailsWithoutLeavingALab()
    {
        LabCaptureRun.RequirePreconditions();
        string prefix = "nb" + RandomNumberGenerator.GetHexString(4, lowercase: true);
        string dir = CliRunner.NewTempDirectory("notadir");
        string file = Path.Combine(dir, "plain-file");
        File.WriteAllText(file, "x");

        var run = Run("bash", CliRunner.JoinArguments([Path.Combine(Requires.RepoRoot, "lab", "make-captures.sh"), file, prefix]));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(file, run.Stderr, StringComparison.Ordinal);
        AssertNoLabNamespaces(prefix);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// No namespace of the lab <paramref name="prefix"/>: no name that starts with "prefix-". A substring test is
    /// wrong here, as another test's lab running at the same time (say "btd6fa-rt") contains "a-" further in.
    /// </summary>
    private static void AssertNoLabNamespaces(string prefix)
    {
        string[] listed = Run("ip", "netns list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(listed, n => n.StartsWith(prefix + "-", StringComparison.Ordinal));
    }

    /// <summary>None of the lab's interfaces or addresses appear in the host's namespace.</summary>
    private static void AssertHostUntouched(string prefix)
    {
        string links = Run("ip", "-o link show").Stdout;
        foreach (string peer in (string[])["p-att@", "p-cli@", "p-v1@", "p-v2@", "p-v3@", "p-srv@", prefix])
        {
            Assert.DoesNotContain(peer, links, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("10.77.", Run("ip", "-4 route show").Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("fd77:", Run("ip", "-6 route show").Stdout, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string file, string arguments) => Requires.Run(file, arguments, s_timeout);
}

using System.Security.Cryptography;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// Runs lab/make-captures.sh once per test run (it takes about 90 s: a real nmap scan, a real hydra run against a
/// real sshd, real DNS and HTTP), shared by every test that wants fresh captures.
/// </summary>
internal static class LabCaptureRun
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(8);

    private static readonly Lazy<Result> s_result = new(Generate, LazyThreadSafetyMode.ExecutionAndPublication);

    private sealed record Result(string Directory, int ExitCode, string Log);

    /// <summary>Tools lab/make-captures.sh needs; a missing one skips the test (fails it when CI=true).</summary>
    public static void RequirePreconditions()
    {
        Requires.Root();
        foreach (string tool in (string[])["ip", "nmap", "tcpdump", "hydra", "sshd", "ssh-keygen", "curl", "dig", "python3", "timeout"])
        {
            Requires.Tool(tool);
        }
    }

    /// <summary>The folder holding this run's scan.pcap, ssh-bruteforce.pcap and benign.pcap; fails the test when the script failed.</summary>
    public static string Directory()
    {
        RequirePreconditions();
        var r = s_result.Value;
        Assert.True(r.ExitCode == 0, $"lab/make-captures.sh exited {r.ExitCode}:\n{r.Log}");
        return r.Directory;
    }

    private static Result Generate()
    {
        string dir = CliRunner.NewTempDirectory("lab");
        string lab = Path.Combine(Requires.RepoRoot, "lab");
        string prefix = "lc" + RandomNumberGenerator.GetHexString(4, lowercase: true);
        try
        {
            var (exit, stdout, stderr) = Requires.Run("bash", CliRunner.JoinArguments([Path.Combine(lab, "make-captures.sh"), dir, prefix]), s_timeout);
            return new Result(dir, exit, stdout + stderr);
        }
        finally
        {
            // The script removes its lab on exit, unless it was killed on the timeout: then this does.
            Requires.Run("bash", CliRunner.JoinArguments([Path.Combine(lab, "netns.sh"), "down", prefix]), TimeSpan.FromSeconds(60));
        }
    }
}

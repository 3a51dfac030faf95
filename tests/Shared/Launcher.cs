namespace SlipsP2P.Testing;

/// <summary>
/// The ./slips launcher: its first-use build (paid once per test run, not out of any one test's timeout) and the
/// native binary it makes where a C compiler can link one (issue 5).
/// </summary>
internal static class Launcher
{
    /// <summary>For the first call, which builds the CLI in Release: minutes on a busy 2-core machine.</summary>
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(25);

    private static readonly Lazy<(int ExitCode, string Output)> s_build = new(
        () =>
        {
            var (exit, stdout, stderr) = Requires.Run(SlipsPath, "--help", s_buildTimeout);
            return (exit, stdout + stderr);
        },
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The ./slips launcher in the repository root.</summary>
    public static string SlipsPath
    {
        get
        {
            string path = Path.Combine(Requires.RepoRoot, "slips");
            if (!File.Exists(path)) Requires.Missing("the ./slips launcher is not in the repository root yet: " + path);
            return path;
        }
    }

    /// <summary>Where the launcher builds (.slips-build).</summary>
    public static string BuildDirectory => Path.Combine(Requires.RepoRoot, ".slips-build");

    /// <summary>Builds the CLI through the launcher unless it is built already; a build failure fails the test with its output.</summary>
    public static void EnsureBuilt()
    {
        var (exit, output) = s_build.Value;
        Assert.True(exit == 0, $"./slips --help exited {exit} (the launcher builds the CLI on first use):\n{output}");
    }

    /// <summary>
    /// The native slips the launcher built; skips (fails in CI) where it fell back to ReadyToRun, which it does without
    /// clang or gcc (./test.sh installs gcc as root).
    /// </summary>
    public static string NativeBinary()
    {
        EnsureBuilt();
        if (!File.Exists(Path.Combine(BuildDirectory, ".native")))
        {
            Requires.Missing("the launcher made no native build here (no clang or gcc to link it; ./test.sh installs gcc as root)");
        }

        return Path.Combine(BuildDirectory, "slips");
    }
}

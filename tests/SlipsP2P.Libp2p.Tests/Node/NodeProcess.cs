using System.Diagnostics;
using SlipsP2P.Testing;

namespace SlipsP2P.Libp2p.Tests.Node;

/// <summary>A <c>slips p2p</c> node process printing its events as JSON lines.</summary>
internal sealed class NodeProcess : JsonLineProcess
{
    private NodeProcess(Process process, string name)
        : base(process, name)
    {
    }

    /// <summary>The built slips.dll: SLIPS_DLL, else the CLI's build output of this configuration, else the launcher's.</summary>
    public static string SlipsDll()
    {
        string? env = Environment.GetEnvironmentVariable("SLIPS_DLL");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        string config = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string root = Requires.RepoRoot;
        string[] candidates =
        [
            Path.Combine(root, "src", "SlipsP2P.Cli", "bin", config, "net10.0", "slips.dll"),
            Path.Combine(root, "tests", "SlipsP2P.Cli.Tests", "bin", config, "net10.0", "slips.dll"),
            Path.Combine(root, ".slips-build", "slips.dll"),
        ];
        string? best = null;
        foreach (var c in candidates)
        {
            if (File.Exists(c) && (best is null || File.GetLastWriteTimeUtc(c) > File.GetLastWriteTimeUtc(best))) best = c;
        }

        if (best is null) Requires.Missing("slips.dll not built: run 'dotnet build src/SlipsP2P.Cli' (or set SLIPS_DLL)");
        return best!;
    }

    // The launcher's first build, once per test run (minutes on a busy 2-core machine).
    private static readonly Lazy<(int ExitCode, string Output)> s_launcherBuild = new(
        () =>
        {
            var (exit, stdout, stderr) = Requires.Run(Path.Combine(Requires.RepoRoot, "slips"), "--version", TimeSpan.FromMinutes(25));
            return (exit, stdout + stderr);
        },
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The native slips the ./slips launcher builds (Native AOT, issue 5), built through the launcher when needed; skips
    /// (fails in CI) where the launcher fell back to ReadyToRun, which it does without a C compiler.
    /// </summary>
    public static string NativeSlips()
    {
        var (exit, output) = s_launcherBuild.Value;
        Assert.True(exit == 0, "./slips --version (the launcher builds on first use):\n" + output);
        string build = Path.Combine(Requires.RepoRoot, ".slips-build");
        if (!File.Exists(Path.Combine(build, ".native"))) Requires.Missing("the launcher made no native build here (no clang or gcc to link it; ./test.sh installs gcc as root)");
        return Path.Combine(build, "slips");
    }

    /// <summary>
    /// Starts <c>[prefix...] dotnet slips.dll p2p arguments</c>, or the native slips with <paramref name="native"/>, and
    /// waits for its listening event.
    /// </summary>
    public static async Task<NodeProcess> StartP2pAsync(string name, string arguments, TimeSpan timeout, string? prefix = null, bool native = false)
    {
        string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        string command = native ? NativeSlips() : $"{dotnet} {SlipsDll()}";
        string file = command.Split(' ')[0];
        string rest = command.Contains(' ', StringComparison.Ordinal) ? command[(file.Length + 1)..] + " " : "";
        var psi = prefix is null
            ? new ProcessStartInfo(file, $"{rest}p2p {arguments}")
            : new ProcessStartInfo(prefix.Split(' ')[0], $"{string.Join(' ', prefix.Split(' ').Skip(1))} {command} p2p {arguments}");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return await StartAsync(psi, p => new NodeProcess(p, name), timeout);
    }
}

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

    /// <summary>
    /// Starts <c>[prefix...] dotnet slips.dll p2p arguments</c>, or the native slips with <paramref name="native"/>, and
    /// waits for its listening event.
    /// </summary>
    public static async Task<NodeProcess> StartP2pAsync(string name, string arguments, TimeSpan timeout, string? prefix = null, bool native = false)
    {
        string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        // The program and what comes before "p2p": the native slips itself, or dotnet and the built slips.dll.
        var (program, lead) = native ? (Launcher.NativeBinary(), "") : (dotnet, SlipsDll() + " ");
        var psi = prefix is null
            ? new ProcessStartInfo(program, $"{lead}p2p {arguments}")
            : new ProcessStartInfo(prefix.Split(' ')[0], $"{string.Join(' ', prefix.Split(' ').Skip(1))} {program} {lead}p2p {arguments}");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return await StartAsync(psi, p => new NodeProcess(p, name), timeout);
    }
}

using System.Diagnostics;

namespace SlipsP2P.Testing;

/// <summary>
/// Preconditions for tests that need something outside the repository (../shared, root, a tool on PATH).
/// Outside CI a missing precondition skips the test with a visible reason; with CI=true it fails the test.
/// </summary>
internal static class Requires
{
    /// <summary>True when the CI environment variable says so.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The repository root (the folder with SlipsP2P.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SlipsP2P.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("SlipsP2P.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Skips (or fails in CI) with <paramref name="reason"/>.</summary>
    public static void Missing(string reason)
    {
        if (InCi) Assert.Fail("CI=true and a test precondition is missing: " + reason);
        Assert.Skip(reason);
    }

    /// <summary>The path of a file or folder under ../shared/datasets/slips.</summary>
    public static string Dataset(string relative)
    {
        string path = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets", "slips", relative));
        if (!File.Exists(path) && !Directory.Exists(path)) Missing("dataset not found: " + path);
        return path;
    }

    /// <summary>The path of a file under ../shared (testvectors, datasets/slips-ref ...).</summary>
    public static string Shared(string relative)
    {
        string path = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", relative));
        if (!File.Exists(path) && !Directory.Exists(path)) Missing("../shared file not found: " + path);
        return path;
    }

    /// <summary>Requires root (network namespaces, firewalls, live capture).</summary>
    public static void Root()
    {
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal) && Environment.GetEnvironmentVariable("USER") != "root")
        {
            Missing("needs root");
        }
    }

    /// <summary>Requires an executable on PATH and returns its full path.</summary>
    public static string Tool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            if (dir.Length == 0) continue;
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }

        foreach (var dir in new[] { "/usr/sbin", "/sbin", "/usr/local/sbin" })
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }

        Missing($"tool '{name}' not on PATH (./test.sh installs it when run as root)");
        return name;
    }

    /// <summary>
    /// Runs a process to completion with a timeout, returning exit code, stdout and stderr; <paramref name="environment"/>
    /// sets variables for it on top of this process's.
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, string arguments, TimeSpan timeout, string? stdin = null, string? workingDirectory = null,
                                                                   IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        if (environment is not null)
        {
            foreach (var (name, value) in environment) psi.Environment[name] = value;
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }

        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish within {timeout}");
        }

        p.WaitForExit();
        return (p.ExitCode, so.Result, se.Result);
    }
}

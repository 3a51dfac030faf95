using System.Runtime.InteropServices;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// The ./slips launcher's native build (issue 5): on glibc x86-64 with a C toolchain it publishes Native AOT, which the
/// rest of this suite then runs through the launcher; the native binary refuses ML.NET training with a clear message,
/// and the launcher trains on a JIT build instead (BeaconTests.MlTrainEvaluate_Test18Labels_PrintsHeldOutTableAndWritesModel).
/// </summary>
public sealed class LauncherTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public void FirstUse_LinuxX64WithACompiler_BuildsNative()
    {
        RequireNativeHost();
        Launcher.EnsureBuilt();

        Assert.True(File.Exists(Path.Combine(Launcher.BuildDirectory, ".native")), "the launcher fell back from the native build; see its first output");
        Assert.False(File.Exists(Path.Combine(Launcher.BuildDirectory, "slips.dll")), "a native build has no slips.dll beside it");
        byte[] head = new byte[4];
        using (var f = File.OpenRead(Path.Combine(Launcher.BuildDirectory, "slips"))) f.ReadExactly(head);
        Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, head);
        var (code, stdout, stderr) = Requires.Run(Launcher.SlipsPath, "--version", s_timeout);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout);
    }

    [Fact]
    public void NativeBinary_MlTrain_RefusesNamingTheLauncher()
    {
        RequireNativeHost();
        string native = Launcher.NativeBinary();
        string labels = Requires.Dataset("test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled");
        string dir = CliRunner.NewTempDirectory("native-ml");
        string model = Path.Combine(dir, "m.json");

        var (code, _, stderr) = Requires.Run(native, CliRunner.JoinArguments(["ml", "train", "--labels", labels, "-o", model]), s_timeout);

        Assert.Equal(69, code);
        Assert.Contains("slips ml train: this slips is a native (ahead-of-time compiled) build", stderr, StringComparison.Ordinal);
        Assert.Contains("./slips launcher", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void MlTrainHelp_NativeBuild_PrintedWithoutTheTrainersBuild()
    {
        RequireNativeHost();
        Launcher.EnsureBuilt();
        // A dotnet first on PATH that only leaves a mark: the trainer's JIT build (made with dotnet publish, run with
        // dotnet) would call it; help must come from the native build without it.
        string dir = CliRunner.NewTempDirectory("ml-help");
        string mark = Path.Combine(dir, "dotnet-called");
        string fake = Path.Combine(dir, "dotnet");
        File.WriteAllText(fake, $"#!/bin/sh\ntouch '{mark}'\nexit 99\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string> { ["PATH"] = dir + ":" + Environment.GetEnvironmentVariable("PATH") };

        foreach (string help in new[] { "--help", "-h" })
        {
            var (code, stdout, stderr) = Requires.Run(Launcher.SlipsPath, $"ml train {help}", s_timeout, environment: env);

            Assert.True(code == 0, stderr);
            Assert.Contains("slips ml train [options]", stdout, StringComparison.Ordinal);
            Assert.Contains("--labels", stdout, StringComparison.Ordinal);
            Assert.False(File.Exists(mark), "the launcher went to the trainer's JIT build for " + help);
        }

        Directory.Delete(dir, true);
    }

    /// <summary>glibc x86-64 Linux with clang or gcc on PATH (./test.sh installs gcc as root when both are missing).</summary>
    private static void RequireNativeHost()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            Assert.Skip("the launcher builds native only on x86-64 Linux");
        }

        bool compiler = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => d.Length > 0 && (File.Exists(Path.Combine(d, "clang")) || File.Exists(Path.Combine(d, "gcc"))));
        if (!compiler) Requires.Missing("no C compiler (clang or gcc) on PATH to link the native build (./test.sh installs gcc when run as root)");
    }
}

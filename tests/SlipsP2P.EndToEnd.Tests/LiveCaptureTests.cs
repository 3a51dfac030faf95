using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SlipsP2P.Core;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// <c>./slips -i IFACE</c> on a veth pair in two network namespaces the test creates (lab/netns.sh pair): a real nmap
/// scan across the link, a generated capture replayed by tcpreplay, a BPF filter, and the error paths (no such
/// interface, no permission, libpcap missing).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class LiveCaptureTests
{
    private const string SideA = "10.78.0.1";
    private const string SideB = "10.78.0.2";
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task LiveCapture_NmapScansAcrossVeth_VerticalPortScanAlertOnScanner()
    {
        Requires.Root();
        foreach (string tool in (string[])["ip", "nmap", "kill"]) Requires.Tool(tool);
        CliRunner.EnsureBuilt();
        var ct = TestContext.Current.CancellationToken;
        using var pair = await VethPair.UpAsync("ln", withAddresses: true, ct);
        string outDir = CliRunner.NewTempDirectory("live-nmap");

        // Arrange: the node captures on side B (the victim's end), in one-minute windows so one scan makes an alert.
        using var slips = pair.StartSlips("b", ["-i", "eth0", "-o", outDir, "-w", "60"]);
        await WaitForCaptureAsync(slips, ct);

        // Act: a SYN scan of 1000 ports from side A; then SIGTERM, which must flush the flows and exit 0.
        pair.RunOk("a", ["timeout", "90", "nmap", "-n", "-T4", "-sS", "-Pn", "--max-retries", "1", "-p", "1-1000", SideB]);
        bool stopped = await slips.StopAsync("TERM", s_step, ct);

        // Assert
        var run = Result(slips, outDir);
        Assert.True(stopped && run.ExitCode == 0, "slips did not stop cleanly on SIGTERM: " + run.Describe());
        Assert.True(run.EvidenceTypesFrom(SideA).Contains(EvidenceTypes.VerticalPortScan), "no VERTICAL_PORT_SCAN from the scanner: " + run.Describe());
        Assert.True(run.AlertsOn(SideA).Count > 0, "no alert on the scanner: " + run.Describe());
        Assert.DoesNotContain(run.Records, r => r.IsEvidence && r.EvidenceType == EvidenceTypes.VerticalPortScan && r.SourceIp != SideA);
        var counters = ReadCounters(outDir);
        Assert.True(counters.GetProperty("analysed").GetInt64() >= 1000, "fewer packets than probes: " + counters);
        run.DeleteOutput();
    }

    [Fact]
    public async Task LiveCapture_TcpreplayAtModerateRate_PacketsCountedMatchSent()
    {
        Requires.Root();
        foreach (string tool in (string[])["ip", "tcpreplay", "kill"]) Requires.Tool(tool);
        CliRunner.EnsureBuilt();
        var ct = TestContext.Current.CancellationToken;
        string pcap = GeneratedCapture();
        using var pair = await VethPair.UpAsync("lr", withAddresses: false, ct);
        string outDir = CliRunner.NewTempDirectory("live-replay");

        using var slips = pair.StartSlips("b", ["-i", "eth0", "-o", outDir]);
        await WaitForCaptureAsync(slips, ct);
        string replay = pair.RunOk("a", ["tcpreplay", "-i", "eth0", "--pps", "4000", pcap]);
        bool stopped = await slips.StopAsync("INT", s_step, ct);

        var run = Result(slips, outDir);
        Assert.True(stopped && run.ExitCode == 0, "slips did not stop cleanly on SIGINT: " + run.Describe());
        long sent = SentPackets(replay);
        var c = ReadCounters(outDir);
        long analysed = c.GetProperty("analysed").GetInt64();
        long drops = c.GetProperty("ps_drop").GetInt64() + c.GetProperty("ps_ifdrop").GetInt64() + c.GetProperty("queue_dropped").GetInt64();
        Assert.True(analysed <= sent && sent - analysed <= drops, $"tcpreplay sent {sent}, slips analysed {analysed} with {drops} drops counted: {c}");
        Assert.Equal(c.GetProperty("captured").GetInt64(), analysed + c.GetProperty("queue_dropped").GetInt64());
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"slips read {analysed:N0}"), run.Stdout, StringComparison.Ordinal);
        // The replayed capture holds a vertical scan (slips tools gen-pcap): live input reaches the detectors.
        Assert.True(run.Records.Any(r => r.EvidenceType == EvidenceTypes.VerticalPortScan), "no VERTICAL_PORT_SCAN in the replayed traffic: " + run.Describe());
        run.DeleteOutput();
    }

    [Fact]
    public async Task LiveCapture_BpfFilterAndDuration_OnlyMatchingPacketsAnalysed()
    {
        Requires.Root();
        foreach (string tool in (string[])["ip", "tcpreplay", "tcpdump"]) Requires.Tool(tool);
        CliRunner.EnsureBuilt();
        var ct = TestContext.Current.CancellationToken;
        string pcap = GeneratedCapture();
        var (exit, icmp, err) = Requires.Run("bash", CliRunner.JoinArguments(["-c", $"tcpdump -nn -r {pcap} icmp 2>/dev/null | wc -l"]), s_step);
        Assert.True(exit == 0, err);
        long icmpPackets = long.Parse(icmp.Trim(), CultureInfo.InvariantCulture);
        Assert.True(icmpPackets > 0, "the generated capture has no ICMP to filter for");
        using var pair = await VethPair.UpAsync("lf", withAddresses: false, ct);
        string outDir = CliRunner.NewTempDirectory("live-filter");

        // Only ICMP passes the filter; --duration ends the run by itself.
        using var slips = pair.StartSlips("b", ["-i", "eth0", "-F", "icmp", "--duration", "20", "-o", outDir]);
        await WaitForCaptureAsync(slips, ct);
        pair.RunOk("a", ["tcpreplay", "-i", "eth0", "--pps", "20000", pcap]);
        bool ended = await slips.WaitForExitAsync(s_step, ct);

        var run = Result(slips, outDir);
        Assert.True(ended && run.ExitCode == 0, "slips did not end after --duration: " + run.Describe());
        var c = ReadCounters(outDir);
        Assert.Equal("icmp", c.GetProperty("filter").GetString());
        long analysed = c.GetProperty("analysed").GetInt64();
        long drops = c.GetProperty("ps_drop").GetInt64() + c.GetProperty("queue_dropped").GetInt64();
        Assert.True(analysed <= icmpPackets && icmpPackets - analysed <= drops, $"{icmpPackets} ICMP packets sent, {analysed} analysed, {drops} dropped: {c}");
        Assert.DoesNotContain(run.Records, r => r.EvidenceType is EvidenceTypes.VerticalPortScan or EvidenceTypes.HorizontalPortScan);
        run.DeleteOutput();
    }

    [Theory]
    [InlineData("-F|icmp|-f|samples/scan.pcap", "-F and --duration go with -i IFACE")]
    [InlineData("--duration|5|-f|samples/scan.pcap", "-F and --duration go with -i IFACE")]
    [InlineData("-i|lo|-f|samples/scan.pcap", "give either -f PATH or -i IFACE, not both")]
    [InlineData("-i|lo|--duration|0", "--duration must be a positive number of seconds")]
    public void LiveCapture_FlagsMisused_ExitsTwoNamingTheRule(string arguments, string expected)
    {
        CliRunner.EnsureBuilt();
        string outDir = CliRunner.NewTempDirectory("live-usage");

        var (exit, _, stderr) = Requires.Run(CliRunner.SlipsPath, CliRunner.JoinArguments([.. arguments.Split('|'), "-o", outDir]), s_step,
            workingDirectory: Requires.RepoRoot);

        Assert.True(exit == 2, $"exit {exit}, want 2: {stderr}");
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Directory.Delete(outDir, recursive: true);
    }

    [Fact]
    public void LiveCapture_NoSuchInterface_ExitsOneWithOneLine() =>
        AssertRefused("live-noif", "slipsnoif0", "slipsnoif0: no such interface", slips => (slips[0], slips[1..]));

    [Fact]
    public void LiveCapture_WithoutCapturePermission_ExitsOneWithOneLine()
    {
        Requires.Root();
        Requires.Tool("capsh");

        // Root without CAP_NET_RAW/CAP_NET_ADMIN in its bounding set cannot open a packet socket.
        AssertRefused("live-perm", "lo", "lo: no permission to capture",
            slips => ("capsh", ["--drop=cap_net_raw,cap_net_admin", "--", "-c", CliRunner.JoinArguments(slips)]));
    }

    [Fact]
    public void LiveCapture_LibpcapMissing_ErrorNamesThePackage()
    {
        Requires.Root();
        Requires.Tool("unshare");
        string? lib = LibpcapPath();
        if (lib is null) Requires.Missing("libpcap is not installed, so there is nothing to hide");

        // In a private mount namespace the library is replaced by an empty file: loading it fails as if it were absent.
        AssertRefused("live-nolib", "lo", "install the Debian package libpcap0.8",
            slips => ("unshare", ["-m", "--propagation", "private", "sh", "-c", $"mount --bind /dev/null {lib} && exec {CliRunner.JoinArguments(slips)}"]));
    }

    /// <summary>
    /// Runs <c>./slips -i <paramref name="iface"/></c> through <paramref name="wrap"/> (which may run it in a changed
    /// environment) and asserts exit code 1 with one error line holding <paramref name="expected"/> and no stack trace.
    /// </summary>
    private static void AssertRefused(string tag, string iface, string expected, Func<string[], (string File, string[] Arguments)> wrap)
    {
        CliRunner.EnsureBuilt();
        string outDir = CliRunner.NewTempDirectory(tag);
        var (file, arguments) = wrap([CliRunner.SlipsPath, "-i", iface, "--duration", "5", "-o", outDir]);

        var (exit, _, stderr) = Requires.Run(file, CliRunner.JoinArguments(arguments), s_step);

        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("slips: warning:", StringComparison.Ordinal)).ToList();
        Assert.True(exit == 1 && errors.Count == 1, $"exit {exit}, want 1 and one error line:\n{stderr}");
        Assert.Contains(expected, errors[0], StringComparison.Ordinal);
        Directory.Delete(outDir, recursive: true);
    }

    private static string? LibpcapPath()
    {
        foreach (string dir in (string[])["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"])
        {
            string p = Path.Combine(dir, "libpcap.so.0.8");
            if (File.Exists(p)) return new FileInfo(p).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? p;
        }

        return null;
    }

    /// <summary>
    /// A small generated capture with a vertical and a horizontal scan. The generator is deterministic, so one copy in
    /// the temp folder serves every run (made under another name and moved into place, so a crash leaves no half file).
    /// </summary>
    private static string GeneratedCapture() => s_capture.Value;

    private static readonly Lazy<string> s_capture = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), "slips-e2e-live-replay-seed7-20000.pcap");
        if (File.Exists(path)) return path;
        string partial = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var (exit, stdout, stderr) = Requires.Run(CliRunner.SlipsPath,
            CliRunner.JoinArguments(["tools", "gen-pcap", "-o", partial, "--seed", "7", "--packets", "20000", "--scan-ports", "200", "--scan-hosts", "50"]), s_step);
        Assert.True(exit == 0, $"gen-pcap exited {exit}: {stdout}{stderr}");
        File.Move(partial, path, overwrite: true);
        return path;
    });

    private static async Task WaitForCaptureAsync(LabProcess slips, CancellationToken ct)
    {
        // The node says so on stderr once the ring is open; until then packets would not be seen.
        var deadline = DateTime.UtcNow + s_step;
        while (!slips.Stderr.Contains("slips: capturing on", StringComparison.Ordinal))
        {
            Assert.True(slips.ExitCode is null, "slips ended before capturing: " + slips.Stderr);
            Assert.True(DateTime.UtcNow < deadline, "slips did not start capturing: " + slips.Stderr);
            await Task.Delay(100, ct).WaitAsync(s_step, ct);
        }
    }

    private static CliResult Result(LabProcess slips, string outDir)
    {
        string alerts = Path.Combine(outDir, "alerts.json");
        return new CliResult
        {
            ExitCode = slips.ExitCode ?? -1,
            Stdout = slips.Stdout,
            Stderr = slips.Stderr,
            OutputDirectory = outDir,
            Records = File.Exists(alerts) ? CliRunner.ReadAlertsJson(alerts) : [],
        };
    }

    private static JsonElement ReadCounters(string outDir)
    {
        string path = Path.Combine(outDir, "capture.json");
        Assert.True(File.Exists(path), "no capture.json in " + outDir);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement.Clone();
        foreach (string key in (string[])["ps_recv", "ps_drop", "ps_ifdrop", "captured", "queue_dropped", "analysed"])
        {
            Assert.True(root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number, $"capture.json has no counter {key}: {root}");
        }

        return root;
    }

    /// <summary>tcpreplay's "Successful packets: N".</summary>
    private static long SentPackets(string output)
    {
        foreach (string line in output.Split('\n'))
        {
            string t = line.Trim();
            if (t.StartsWith("Successful packets:", StringComparison.Ordinal)) return long.Parse(t["Successful packets:".Length..].Trim(), CultureInfo.InvariantCulture);
        }

        Assert.Fail("tcpreplay printed no packet count:\n" + output);
        return 0;
    }

    /// <summary>Two namespaces joined by a veth pair (lab/netns.sh pair), removed on dispose even when the test failed.</summary>
    private sealed class VethPair : IDisposable
    {
        private readonly string _prefix;
        private readonly string _netns = Path.Combine(Requires.RepoRoot, "lab", "netns.sh");

        private VethPair(string prefix) => _prefix = prefix;

        public static Task<VethPair> UpAsync(string tag, bool withAddresses, CancellationToken ct)
        {
            var pair = new VethPair(tag + RandomNumberGenerator.GetHexString(4, lowercase: true));
            string[] args = withAddresses ? [pair._netns, "pair", pair._prefix, SideA + "/24", SideB + "/24"] : [pair._netns, "pair", pair._prefix];
            try
            {
                var (exit, stdout, stderr) = Requires.Run("bash", CliRunner.JoinArguments(args), s_step);
                Assert.True(exit == 0, $"lab/netns.sh pair exited {exit}: {stdout}{stderr}");
            }
            catch
            {
                pair.Dispose();
                throw;
            }

            ct.ThrowIfCancellationRequested();
            return Task.FromResult(pair);
        }

        public LabProcess StartSlips(string side, string[] arguments) =>
            LabProcess.Start("ip", ["netns", "exec", _prefix + "-" + side, CliRunner.SlipsPath, "--no-progress", .. arguments]);

        public string RunOk(string side, string[] command)
        {
            var (exit, stdout, stderr) = Requires.Run("ip", CliRunner.JoinArguments(["netns", "exec", _prefix + "-" + side, .. command]), s_step);
            Assert.True(exit == 0, $"{string.Join(' ', command)} exited {exit}\n{stdout}\n{stderr}");
            return stdout + stderr;
        }

        public void Dispose() => Requires.Run("bash", CliRunner.JoinArguments([_netns, "down", _prefix]), s_step);
    }
}

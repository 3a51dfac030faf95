using System.Security.Cryptography;
using SlipsP2P.Core;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// A real Argus daemon watching the attacker's interface in the namespace lab, a real nmap scan through it, the flows
/// read from the daemon with ra, and those flows piped into <c>./slips -f - --input-type argus</c>.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ArgusDaemonTests
{
    private const string Scanner = "10.77.0.5";
    private const string Victim = "10.77.1.10";
    private const string ArgusPort = "561";

    /// <summary>
    /// ra's columns; with -n -u -c , -L0 it prints the header
    /// StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,DstBytes,DstPkts
    /// (the binetflow column names) and unix times.
    /// </summary>
    private static readonly string[] s_raFields =
        ["stime", "dur", "proto", "saddr", "sport", "dir", "daddr", "dport", "state", "stos", "dtos", "pkts", "bytes", "sbytes", "spkts", "dbytes", "dpkts"];

    [Fact]
    public async Task ArgusDaemon_NmapScansThroughLab_ScannerGetsPortScanEvidence()
    {
        Requires.Root();
        foreach (string tool in (string[])["ip", "argus", "ra", "nmap", "kill", "stdbuf"]) Requires.Tool(tool);
        var ct = TestContext.Current.CancellationToken;
        string prefix = "ar" + RandomNumberGenerator.GetHexString(4, lowercase: true);
        string netns = Path.Combine(Requires.RepoRoot, "lab", "netns.sh");
        string ns = prefix + "-att";
        string[] flows;
        string raStderr;
        try
        {
            RunOk("bash", [netns, "up", prefix], TimeSpan.FromSeconds(60));

            // Arrange: argus on the attacker's eth0, serving its records on the namespace's own loopback;
            // -X ignores /etc/argus.conf (which would also write /var/log/argus), -S 2 reports flows every 2 s.
            using var argus = LabProcess.Start("ip", ["netns", "exec", ns, "argus", "-X", "-i", "eth0", "-P", ArgusPort, "-B", "127.0.0.1", "-S", "2"]);
            RunOk("ip", ["netns", "exec", ns, "bash", "-c",
                $"for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/{ArgusPort}) 2>/dev/null && exit 0; sleep 0.1; done; exit 1"], TimeSpan.FromSeconds(30));
            using var ra = LabProcess.Start("ip",
                ["netns", "exec", ns, "stdbuf", "-oL", "ra", "-X", "-S", "127.0.0.1:" + ArgusPort, "-n", "-u", "-c", ",", "-L0", "-s", .. s_raFields]);

            // Act: a horizontal scan of port 80 over 21 addresses (4 live) and a vertical scan of one victim.
            string[] nmap = ["-n", "-T4", "-r", "--max-retries", "1", "--max-rtt-timeout", "300ms", "--host-timeout", "60s", "-sS", "-Pn"];
            RunOk("ip", ["netns", "exec", ns, "timeout", "90", "nmap", .. nmap, "-p", "80", "10.77.1.10-30"], TimeSpan.FromSeconds(120));
            RunOk("ip", ["netns", "exec", ns, "timeout", "90", "nmap", .. nmap, "--top-ports", "100", Victim], TimeSpan.FromSeconds(120));

            // Argus reports flows at its status interval; wait until both scans are in ra's output (or give up waiting
            // after 30 s and let the analysis judge what arrived).
            await ra.WaitForOutputAsync(ScansSeen, TimeSpan.FromSeconds(30), ct);
            await ra.StopAsync("INT", TimeSpan.FromSeconds(10), ct);
            await argus.StopAsync("TERM", TimeSpan.FromSeconds(10), ct);
            flows = ra.Lines();
            raStderr = ra.Stderr;
        }
        finally
        {
            Requires.Run("bash", CliRunner.JoinArguments([netns, "down", prefix]), TimeSpan.FromSeconds(60));
        }

        Assert.True(flows.Length > 1 && flows[0].StartsWith("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State", StringComparison.Ordinal),
            $"ra printed no header and flows ({flows.Length} lines); stderr: {raStderr}");
        Assert.True(ScansSeen(flows), "ra's flows lack the scans:\n" + string.Join('\n', flows.Take(30)));

        // Assert: the flows, piped in as a live Argus stream would be, show the scanner.
        var run = CliRunner.Analyze("-", CliRunner.NewTempDirectory("argus"), ["--input-type", "argus"], stdin: string.Join('\n', flows) + "\n");

        Assert.True(run.ExitCode == 0, run.Describe());
        var types = run.EvidenceTypesFrom(Scanner);
        Assert.True(types.Contains(EvidenceTypes.HorizontalPortScan), "no HORIZONTAL_PORT_SCAN from the scanner: " + run.Describe());
        Assert.True(types.Contains(EvidenceTypes.VerticalPortScan), "no VERTICAL_PORT_SCAN from the scanner: " + run.Describe());

        run.DeleteOutput();
    }

    /// <summary>At least 10 addresses probed on port 80 and at least 10 ports probed on the victim, by the scanner.</summary>
    private static bool ScansSeen(IReadOnlyList<string> lines)
    {
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        var ports = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            string[] f = line.Split(',');
            // stime dur proto saddr sport dir daddr dport ...
            if (f.Length < 8 || f[2] != "tcp" || f[3] != Scanner) continue;
            if (f[7] == "80") hosts.Add(f[6]);
            if (f[6] == Victim) ports.Add(f[7]);
        }

        return hosts.Count >= 10 && ports.Count >= 10;
    }

    private static void RunOk(string file, string[] arguments, TimeSpan timeout)
    {
        var (exit, stdout, stderr) = Requires.Run(file, CliRunner.JoinArguments(arguments), timeout);
        Assert.True(exit == 0, $"{file} {string.Join(' ', arguments)} exited {exit}\n{stdout}\n{stderr}");
    }
}

using System.Text.RegularExpressions;
using SlipsP2P.Testing;

namespace SlipsP2P.Cli.Tests;

/// <summary>
/// parameters.ingest_thread (issue 5): reading on a thread of its own gives the same outputs, byte for byte, as
/// reading on the analysis thread, and an error of the reading thread the same one-line message and exit code.
/// </summary>
public sealed partial class IngestThreadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("slips-ingest-thread-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Inputs => new() { "samples/scan.pcap", "samples/ssh-bruteforce.pcap", "dataset:test7-malicious.pcap", "dataset:test2-malicious.binetflow", "dataset:test9-mixed-zeek-dir" };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Analyse_IngestThreadOnAndOff_SameOutputs(string input)
    {
        string path = input.StartsWith("dataset:", StringComparison.Ordinal) ? Requires.Dataset(input["dataset:".Length..]) : Path.Combine(Requires.RepoRoot, input);
        string on = Path.Combine(_dir, "on");
        string off = Path.Combine(_dir, "off");
        var a = Slips($"-f {path} -o {on} --write-flows --no-progress");
        var b = Slips($"-f {path} -o {off} --write-flows --no-progress --set parameters.ingest_thread=false");
        Assert.True(a.Code == 0, a.Err);
        Assert.True(b.Code == 0, b.Err);
        Assert.Equal(Summary(b.Out), Summary(a.Out));
        Assert.Equal(File.ReadAllText(Path.Combine(off, "alerts.log")), File.ReadAllText(Path.Combine(on, "alerts.log")));
        // alerts.json differs only in what IDMEFv2 asks to be unique or wall-clock: message ids and creation times.
        Assert.Equal(Stable(File.ReadAllText(Path.Combine(off, "alerts.json"))), Stable(File.ReadAllText(Path.Combine(on, "alerts.json"))));
        foreach (string log in new[] { "conn.log", "dns.log" })
        {
            string offLog = Path.Combine(off, log);
            if (!File.Exists(offLog)) continue;
            Assert.Equal(Stable(File.ReadAllText(offLog)), Stable(File.ReadAllText(Path.Combine(on, log))));
        }

        Assert.True(new FileInfo(Path.Combine(on, "conn.log")).Length > 1000, "conn.log nearly empty");
    }

    [Fact]
    public void Analyse_ReaderThreadFails_OneLineAndExitOne()
    {
        // The header lacks StartTime: the Argus reader throws when it runs, on the ingest thread.
        string path = Path.Combine(_dir, "nostart.binetflow");
        File.WriteAllText(path, "Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State\n1.0,tcp,10.0.0.1,1234,->,10.0.0.2,80,S_\n");
        foreach (string setting in new[] { "true", "false" })
        {
            var (code, _, err) = Slips($"-f {path} -o {Path.Combine(_dir, "out-" + setting)} --input-type argus --set parameters.ingest_thread={setting}");
            Assert.Equal(1, code);
            string[] errors = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("slips: warning:", StringComparison.Ordinal)).ToArray();
            Assert.Equal([$"slips: {path}: line 1: missing column StartTime"], errors);
        }
    }

    [Fact]
    public void Set_IngestThreadNotABoolean_ExitsTwo()
    {
        var (code, _, err) = Slips($"-f {Path.Combine(Requires.RepoRoot, "samples", "scan.pcap")} -o {_dir} --set parameters.ingest_thread=sometimes");
        Assert.Equal(2, code);
        Assert.Contains("parameters.ingest_thread", err);
    }

    private static (int Code, string Out, string Err) Slips(string args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "slips.dll");
        return Requires.Run("/usr/bin/env", $"SLIPS_HOME={Requires.RepoRoot} dotnet {dll} {args}", TimeSpan.FromMinutes(3));
    }

    /// <summary>The summary without its timing line (seconds and rates).</summary>
    private static string Summary(string stdout) => string.Join('\n', stdout.Split('\n').Where(l => !l.StartsWith("Read ", StringComparison.Ordinal) && !l.StartsWith("Output:", StringComparison.Ordinal)));

    private static string Stable(string text) => WallClock().Replace(Uuid().Replace(text, "UUID"), "TIME");

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();

    /// <summary>IDMEF CreateTime and the Zeek logs' #open/#close stamps.</summary>
    [GeneratedRegex("(\"CreateTime\":\"[^\"]*\")|(#(open|close)\t[^\n]*)")]
    private static partial Regex WallClock();
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SlipsP2P.Testing;

namespace SlipsP2P.Cli.Tests;

/// <summary>
/// parameters.ingest_thread (issue 5): reading on a thread of its own gives the same outputs, byte for byte, as
/// reading on the analysis thread, and an error of the reading thread the same one-line message and exit code;
/// Ctrl-C part-way through an input still writes the outputs.
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
    public void Analyse_ReaderFails_OneLineAndExitOneWithEitherSetting()
    {
        // The header lacks StartTime: the Argus reader throws when it runs (flow files are read on the analysis thread;
        // OverlappedSourceTests has the reader thread's errors, which surface the same way).
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

    [Fact]
    public async Task Analyse_CtrlCDuringInput_AnalysesWhatWasReadWritesOutputsExits130()
    {
        // Standard input keeps the analysis running for as long as the test writes: Ctrl-C arrives mid-input, always.
        var ct = TestContext.Current.CancellationToken;
        string outDir = Path.Combine(_dir, "out");
        var psi = new ProcessStartInfo("dotnet", $"{Path.Combine(AppContext.BaseDirectory, "slips.dll")} -f - --input-type argus -o {outDir} --no-progress")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["SLIPS_HOME"] = Requires.RepoRoot;
        using var process = Process.Start(psi)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            var input = process.StandardInput;
            await input.WriteAsync("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n".AsMemory(), ct);
            for (int i = 0; i < 12; i++)
            {
                await input.WriteAsync($"2018/03/09 20:50:{i:00}.000000,0.000001,tcp,192.168.2.16,{40000 + i},   ->,203.0.113.{i + 1},23,S_,0,,2,120,120,flow=scan\n".AsMemory(), ct);
            }

            await input.FlushAsync(ct);
            // alerts.log is made after the signal handlers are in place.
            using (var ready = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            {
                while (!File.Exists(Path.Combine(outDir, "alerts.log"))) await Task.Delay(50, ready.Token);
            }

            Requires.Run("kill", "-INT " + process.Id.ToString(CultureInfo.InvariantCulture), TimeSpan.FromSeconds(10));
            // The reader looks at the stop every 1024 lines: more input until it stops reading and the process ends.
            long written = 12;
            try
            {
                using var writing = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                while (!process.HasExited && written < 5_000_000)
                {
                    for (int i = 0; i < 256; i++, written++)
                    {
                        await input.WriteAsync($"2018/03/09 20:51:{written % 60:00}.000000,0.1,udp,192.168.2.20,{1024 + (written % 60000)},   <->,192.168.2.1,53,CON,0,,2,200,100,flow=benign\n".AsMemory(), writing.Token);
                    }

                    await input.FlushAsync(writing.Token);
                }

                input.Close();
            }
            catch (IOException)
            {
                // Broken pipe: slips stopped reading and ended, as it should.
            }

            await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
            string err = await stderr.WaitAsync(TimeSpan.FromMinutes(1), ct);
            string output = await stdout.WaitAsync(TimeSpan.FromMinutes(1), ct);
            Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {err}");
            Assert.Contains("slips: interrupted: analysing what was read so far", err);
            Assert.DoesNotContain("   at ", err);
            Assert.Contains("HORIZONTAL_PORT_SCAN", await File.ReadAllTextAsync(Path.Combine(outDir, "alerts.json"), ct));
            Match read = ReadLine().Match(output);
            Assert.True(read.Success, output);
            long records = long.Parse(read.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
            Assert.InRange(records, 12, written - 1);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    private static (int Code, string Out, string Err) Slips(string args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "slips.dll");
        return Requires.Run("/usr/bin/env", $"SLIPS_HOME={Requires.RepoRoot} dotnet {dll} {args}", TimeSpan.FromMinutes(3));
    }

    /// <summary>The summary without its timing line (seconds and rates).</summary>
    private static string Summary(string stdout) => string.Join('\n', stdout.Split('\n').Where(l => !l.StartsWith("Read ", StringComparison.Ordinal) && !l.StartsWith("Output:", StringComparison.Ordinal)));

    private static string Stable(string text) => WallClock().Replace(Uuid().Replace(text, "UUID"), "TIME");

    [GeneratedRegex(@"^Read ([0-9,]+) records", RegexOptions.Multiline)]
    private static partial Regex ReadLine();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();

    /// <summary>IDMEF CreateTime and the Zeek logs' #open/#close stamps.</summary>
    [GeneratedRegex("(\"CreateTime\":\"[^\"]*\")|(#(open|close)\t[^\n]*)")]
    private static partial Regex WallClock();
}

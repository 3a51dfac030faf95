using System.Globalization;
using System.Text;
using System.Text.Json;
using SlipsP2P.Testing;

namespace SlipsP2P.Cli.Tests;

/// <summary>Every flag of the slips command, run as a real process on small inputs the tests write.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("slips-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An Argus binetflow with a horizontal scan: 12 hosts on 23/tcp, not established, in one minute.</summary>
    private string ScanBinetflow(string name = "scan.binetflow", int hosts = 12)
    {
        var sb = new StringBuilder("StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n");
        for (int i = 0; i < hosts; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"2018/03/09 20:50:{i:00}.000000,0.000001,tcp,192.168.2.16,{40000 + i},   ->,203.0.113.{i + 1},23,S_,0,,2,120,120,flow=scan\n");
        }

        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    private static (int Code, string Out, string Err) Slips(string args, string? stdin = null)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "slips.dll");
        var env = "SLIPS_HOME=" + Requires.RepoRoot;
        return Requires.Run("/usr/bin/env", $"{env} dotnet {dll} {args}", TimeSpan.FromMinutes(2), stdin);
    }

    private static List<JsonElement> Json(string outDir) =>
        File.ReadAllLines(Path.Combine(outDir, "alerts.json")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private static string NoteType(JsonElement e) =>
        JsonDocument.Parse(e.GetProperty("Note").GetString()!).RootElement.GetProperty("evidence_type").GetString()!;

    [Fact]
    public void Help_ListsEveryFlag()
    {
        var (code, output, _) = Slips("--help");
        Assert.Equal(0, code);
        foreach (var flag in new[] { "-f", "-o", "-c", "-w", "-D", "-p", "-A", "--set", "--write-flows", "--input-type" })
        {
            Assert.Contains(flag, output);
        }
    }

    [Fact]
    public void File_And_Output_WriteAlertsLogAndJson()
    {
        string outDir = Path.Combine(_dir, "out");
        var (code, output, err) = Slips($"-f {ScanBinetflow()} -o {outDir}");
        Assert.True(code == 0, err);
        Assert.Contains("HORIZONTAL_PORT_SCAN", output);
        var events = Json(outDir).Where(e => e.GetProperty("Status").GetString() == "Event").ToList();
        Assert.Contains(events, e => NoteType(e) == "HORIZONTAL_PORT_SCAN" && e.GetProperty("Source")[0].GetProperty("IP").GetString() == "192.168.2.16");
        Assert.Contains("Horizontal port scan", File.ReadAllText(Path.Combine(outDir, "alerts.log")));
    }

    [Theory]
    [InlineData("flow_alerts.ports_file", "no-such-ports.csv", "ports file not found")]
    [InlineData("threatintelligence.ti_files", "no-such-feeds.csv", "feeds list not found")]
    [InlineData("threatintelligence.local_threat_intelligence_dir", "no-such-ti", "threat-intelligence directory not found")]
    public void DetectorFile_Missing_WarnsOnceNamingThePath(string key, string name, string phrase)
    {
        // A detector's missing file turns its check off with one warning, not silently; no warning is printed twice.
        string missing = Path.Combine(_dir, name);
        var (code, _, err) = Slips($"-f {ScanBinetflow()} -o {_dir}/out --set {key}={missing}");
        Assert.True(code == 0, err);
        string[] lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.StartsWith("slips: warning: ", StringComparison.Ordinal) && l.Contains(missing, StringComparison.Ordinal) && l.Contains(phrase, StringComparison.Ordinal));
        Assert.Equal(lines.Length, lines.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void ThreatIntelligencePaths_Empty_TurnTheirPartOffWithoutWarning()
    {
        // An empty feeds list or IoC directory means none, not the home directory (which is not a file to read).
        var (code, _, err) = Slips($"-f {ScanBinetflow()} -o {_dir}/out --set threatintelligence.ti_files= --set threatintelligence.local_threat_intelligence_dir=");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("threat-intelligence", err, StringComparison.Ordinal);
    }

    [Fact]
    public void File_Missing_ExitsOneNamingThePath()
    {
        var (code, _, err) = Slips($"-f {_dir}/does-not-exist.pcap -o {_dir}/o");
        Assert.Equal(1, code);
        Assert.Contains("does-not-exist.pcap", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void File_Empty_ExitsOneNamingThePath()
    {
        string empty = Path.Combine(_dir, "empty.pcap");
        File.WriteAllBytes(empty, []);
        var (code, _, err) = Slips($"-f {empty} -o {_dir}/o");
        Assert.Equal(1, code);
        Assert.Contains("empty.pcap", err);
    }

    [Fact]
    public void NoInput_ExitsTwo()
    {
        var (code, _, err) = Slips("-o " + _dir + "/o");
        Assert.Equal(2, code);
        Assert.Contains("-f", err);
    }

    [Fact]
    public void TimeWindow_Sixty_TurnsScanEvidenceIntoAnAlert()
    {
        string withDefault = Path.Combine(_dir, "default");
        string with60 = Path.Combine(_dir, "w60");
        string input = ScanBinetflow();
        Assert.Equal(0, Slips($"-f {input} -o {withDefault}").Code);
        Assert.Equal(0, Slips($"-f {input} -o {with60} -w 60").Code);
        Assert.DoesNotContain(Json(withDefault), e => e.GetProperty("Status").GetString() == "Incident");
        var incident = Assert.Single(Json(with60), e => e.GetProperty("Status").GetString() == "Incident");
        var note = JsonDocument.Parse(incident.GetProperty("Note").GetString()!).RootElement;
        Assert.Equal(0.25, note.GetProperty("threshold").GetDouble(), 6);
    }

    [Fact]
    public void Set_Threshold_ChangesWhenAlertsFire()
    {
        string outDir = Path.Combine(_dir, "set");
        Assert.Equal(0, Slips($"-f {ScanBinetflow()} -o {outDir} --set detection.evidence_detection_threshold=0.01").Code);
        var incident = Assert.Single(Json(outDir), e => e.GetProperty("Status").GetString() == "Incident");
        var note = JsonDocument.Parse(incident.GetProperty("Note").GetString()!).RootElement;
        Assert.Equal(0.01 * 3600 / 60, note.GetProperty("threshold").GetDouble(), 6);
    }

    [Fact]
    public void Set_UnknownKey_ExitsTwoListingKnownKeys()
    {
        var (code, _, err) = Slips($"-f {ScanBinetflow()} -o {_dir}/o --set nope.key=1");
        Assert.Equal(2, code);
        Assert.Contains("nope.key", err);
        Assert.Contains("parameters.time_window_width", err);
    }

    [Fact]
    public void Set_BadValue_ExitsTwo()
    {
        var (code, _, err) = Slips($"-f {ScanBinetflow()} -o {_dir}/o --set parameters.time_window_width=-5");
        Assert.Equal(2, code);
        Assert.Contains("time_window_width", err);
    }

    [Fact]
    public void Config_File_IsReadAndBadYamlNamesTheLine()
    {
        string good = Path.Combine(_dir, "good.yaml");
        File.WriteAllText(good, "parameters:\n  time_window_width: 60\n");
        string outDir = Path.Combine(_dir, "cfg");
        Assert.Equal(0, Slips($"-f {ScanBinetflow()} -o {outDir} -c {good}").Code);
        Assert.Contains(Json(outDir), e => e.GetProperty("Status").GetString() == "Incident");

        string bad = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(bad, "parameters:\n  time_window_width: [unclosed\n");
        var (code, _, err) = Slips($"-f {ScanBinetflow()} -o {_dir}/o -c {bad}");
        Assert.Equal(2, code);
        Assert.Contains("bad.yaml", err);
        Assert.Contains("line", err);

        var (code2, _, err2) = Slips($"-f {ScanBinetflow()} -o {_dir}/o -c {_dir}/missing.yaml");
        Assert.Equal(2, code2);
        Assert.Contains("missing.yaml", err2);
    }

    [Fact]
    public void NoDetection_PrintsProfilesAndRaisesNothing()
    {
        string outDir = Path.Combine(_dir, "nodetect");
        var (code, output, _) = Slips($"-f {ScanBinetflow()} -o {outDir} -D");
        Assert.Equal(0, code);
        Assert.Contains("192.168.2.16", output);
        Assert.Empty(Json(outDir));
    }

    [Fact]
    public void PrintTuples_ShowsTuplesWithLetters()
    {
        var (code, output, _) = Slips($"-f {ScanBinetflow()} -o {_dir}/tuples -p");
        Assert.Equal(0, code);
        Assert.Contains("192.168.2.16", output);
        Assert.Contains("203.0.113.1", output);
        Assert.Contains("tuple", output);
    }

    [Fact]
    public void Anonymize_NoOriginalAddressInOutputs()
    {
        string outDir = Path.Combine(_dir, "anon");
        var (code, output, _) = Slips($"-f {ScanBinetflow()} -o {outDir} -A --write-flows");
        Assert.Equal(0, code);
        Assert.DoesNotContain("192.168.2.16", output);
        foreach (var f in new[] { "alerts.log", "alerts.json", "conn.log" })
        {
            string text = File.ReadAllText(Path.Combine(outDir, f));
            Assert.DoesNotContain("192.168.2.16", text);
            Assert.DoesNotContain("203.0.113.", text);
        }

        var map = File.ReadAllLines(Path.Combine(outDir, "anonymization-map.csv"));
        string scanner = Assert.Single(map, l => l.StartsWith("192.168.2.16,", StringComparison.Ordinal)).Split(',')[1];
        Assert.Contains(Json(outDir), e => e.GetProperty("Source")[0].GetProperty("IP").GetString() == scanner);
    }

    [Fact]
    public void WriteFlows_WritesZeekConnLog()
    {
        string outDir = Path.Combine(_dir, "flows");
        Assert.Equal(0, Slips($"-f {ScanBinetflow()} -o {outDir} --write-flows").Code);
        var lines = File.ReadAllLines(Path.Combine(outDir, "conn.log"));
        Assert.Contains(lines, l => l.StartsWith("#fields", StringComparison.Ordinal) && l.Contains("community_id") && l.Contains("aid"));
        Assert.Equal(12, lines.Count(l => !l.StartsWith('#')));
    }

    [Fact]
    public void InputType_StdinArgus_IsAnalysed()
    {
        string outDir = Path.Combine(_dir, "stdin");
        var (code, output, err) = Slips($"-f - --input-type argus -o {outDir}", File.ReadAllText(ScanBinetflow()));
        Assert.True(code == 0, err);
        Assert.Contains("HORIZONTAL_PORT_SCAN", output);
    }

    [Fact]
    public void InputType_Unknown_ExitsTwo()
    {
        var (code, _, _) = Slips($"-f - --input-type bogus -o {_dir}/o", "");
        Assert.Equal(2, code);
    }
}

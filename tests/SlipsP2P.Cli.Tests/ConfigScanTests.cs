using SlipsP2P.Cli.Configuration;
using SlipsP2P.Testing;

namespace SlipsP2P.Cli.Tests;

/// <summary>The configuration read from YamlDotNet's scanner tokens gives what its parser gives, errors included.</summary>
public sealed class ConfigScanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("slips-startup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Files => new()
    {
        { "comments and quotes", "# top\nparameters:  # the section\n  time_window_width: '60' # a comment\n  analysis_direction: \"all\"\n\ndetection:\n  evidence_detection_threshold: 0.1\n" },
        { "flow lists", "periodicity:\n  ignore_ports: [53, '123',5353,]\nDisabledAlerts:\n  disabled_detections: []\n" },
        { "a quoted empty item", "periodicity:\n  ignore_ports: ['', 53]\n" },
        { "unknown keys and sections", "parameters:\n  no_such_key: 1\n  workers: 2\nno_section:\n  x: 1\n" },
        { "section as a value", "parameters: 3\ndetection: ''\nperiodicity:\n  min_connections: 9\n" },
        { "a bad value names its line", "parameters:\n  workers: 2\n  time_window_width: -5\n" },
        { "a bad value after a warning", "x:\n  y: 1\nparameters:\n  workers: 99\n" },
        { "a nested mapping", "parameters:\n  workers:\n    a: 1\n" },
        { "a block list", "periodicity:\n  ignore_ports:\n    - 53\n    - 123\n" },
        { "an indentless block list", "periodicity:\n  ignore_ports:\n  - 53\n  - 123\n" },
        { "an empty value", "parameters:\n  pcapfilter:\n  workers: 2\n" },
        { "an empty section", "parameters:\ndetection:\n  evidence_detection_threshold: 0.5\n" },
        { "anchors and aliases", "parameters:\n  workers: &w 3\nperiodicity:\n  min_connections: *w\n" },
        { "a tag", "parameters:\n  workers: !!str 3\n" },
        { "a %TAG directive", "%TAG !e! tag:example.com,2000:\n---\nparameters:\n  workers: 3\n" },
        { "a document marker", "---\nparameters:\n  workers: 3\n...\n" },
        { "two documents", "parameters:\n  workers: 3\n---\nparameters:\n  workers: 4\n" },
        { "a key twice", "parameters:\n  workers: 3\n  workers: 4\n" },
        { "a section twice", "parameters:\n  workers: 3\nparameters:\n  workers: 4\n" },
        { "keys differing in case", "parameters:\n  workers: 3\n  Workers: 4\n" },
        { "an unclosed list", "parameters:\n  time_window_width: [unclosed\n" },
        { "a bad indent", "parameters:\n  workers: 3\n bad: 1\n" },
        { "a top-level scalar", "just text\n" },
        { "a top-level list", "- a\n- b\n" },
        { "a flow mapping", "{parameters: {workers: 3}}\n" },
        { "only comments", "# nothing\n" },
        { "empty", "" },
        { "a list of lists", "periodicity:\n  ignore_ports: [[53], 123]\n" },
        { "a multi-line value", "parameters:\n  pcapfilter: not port\n    22\n" },
        { "a tab", "parameters:\n\tworkers: 3\n" },
    };

    /// <summary>The files the scanner path reads itself; it leaves every other one to the parser.</summary>
    private static readonly HashSet<string> s_scanned =
    [
        "comments and quotes", "flow lists", "a quoted empty item", "unknown keys and sections", "section as a value",
        "a bad value names its line", "a bad value after a warning", "keys differing in case", "only comments", "empty", "a multi-line value",
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public void Load_ScannerPath_GivesTheParsersOptionsWarningsAndErrors(string name, string yaml)
    {
        string path = Path.Combine(_dir, "c.yaml");
        File.WriteAllText(path, yaml);
        var fast = Outcome(path, parserOnly: false);
        var parser = Outcome(path, parserOnly: true);
        Assert.True(parser == fast, $"{name}:\nparser: {parser}\nscanner path: {fast}");
        Assert.Equal(s_scanned.Contains(name), SlipsConfig.ScannerReads(path));
    }

    [Fact]
    public void Load_ShippedConfig_SameAsTheParser()
    {
        string path = Path.Combine(Requires.RepoRoot, "config", "slips.yaml");
        Assert.True(File.Exists(path), path);
        Assert.True(SlipsConfig.ScannerReads(path));
        var fast = Outcome(path, parserOnly: false);
        Assert.Equal(Outcome(path, parserOnly: true), fast);
        Assert.DoesNotContain("error", fast, StringComparison.Ordinal);
    }

    /// <summary>Every key's value after loading, the warnings, or the error message.</summary>
    private static string Outcome(string path, bool parserOnly)
    {
        var warnings = new List<string>();
        try
        {
            var options = SlipsConfig.Load(path, pathIsDefault: false, [], warnings, parserOnly);
            return string.Join("\n", ConfigKeys.All.Select(k => k.Path + "=" + k.Get(options))) + "\nwarnings:\n" + string.Join("\n", warnings);
        }
        catch (ConfigException e)
        {
            return "error: " + e.Message;
        }
    }
}

using SlipsP2P.Core;
using YamlDotNet.Core;
using YamlDotNet.Core.Tokens;
using YamlDotNet.RepresentationModel;

namespace SlipsP2P.Cli.Configuration;

/// <summary>Raised for a configuration that cannot be used; the message names the file and line or the key.</summary>
internal sealed class ConfigException : Exception
{
    public ConfigException(string message) : base(message) { }

    public ConfigException(string message, Exception inner) : base(message, inner) { }

    public ConfigException() { }
}

/// <summary>Loads config/slips.yaml and <c>--set</c> overrides into <see cref="AnalysisOptions"/>.</summary>
internal static class SlipsConfig
{
    /// <summary>
    /// Reads <paramref name="path"/> (a missing default file is fine; a missing named file is an error), applies the
    /// overrides, validates. Unknown keys in the file are warnings (Slips' own yaml has many keys this node does not
    /// use); unknown keys in overrides are errors, since the user typed them.
    /// </summary>
    public static AnalysisOptions Load(string? path, bool pathIsDefault, IEnumerable<string> overrides, ICollection<string> warnings) =>
        Load(path, pathIsDefault, overrides, warnings, parserOnly: false);

    /// <summary>As <see cref="Load(string?, bool, IEnumerable{string}, ICollection{string})"/>; <paramref name="parserOnly"/>
    /// reads the file with YamlDotNet's parser even where the scanner path could (the tests compare the two).</summary>
    internal static AnalysisOptions Load(string? path, bool pathIsDefault, IEnumerable<string> overrides, ICollection<string> warnings, bool parserOnly)
    {
        var options = new AnalysisOptions();
        if (path is not null)
        {
            if (File.Exists(path)) ApplyFile(options, path, warnings, parserOnly);
            else if (!pathIsDefault) throw new ConfigException($"{path}: configuration file not found");
        }

        foreach (var o in overrides)
        {
            int eq = o.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ConfigException($"--set {o}: expected key=value, e.g. --set parameters.time_window_width=60");
            string key = o[..eq].Trim();
            string value = o[(eq + 1)..];
            if (!ConfigKeys.TryGet(key, out var k))
            {
                throw new ConfigException($"--set {o}: unknown key '{key}'. Known keys: {string.Join(", ", ConfigKeys.All.Select(x => x.Path))}");
            }

            try
            {
                k.Set(options, value);
            }
            catch (FormatException e)
            {
                throw new ConfigException($"--set {o}: {e.Message}", e);
            }
        }

        var errors = options.Validate();
        if (errors.Count > 0) throw new ConfigException("invalid configuration: " + string.Join("; ", errors));
        return options;
    }

    /// <summary>One step of applying the file, in the file's order: a key's value text, a warning, or an error.</summary>
    private readonly record struct Step(ConfigKeys.Key? Key, string Dotted, string Text, long Line, string? Warning, string? Error);

    private static void ApplyFile(AnalysisOptions options, string path, ICollection<string> warnings, bool parserOnly)
    {
        var steps = new List<Step>();
        if (parserOnly || !TryScan(path, steps))
        {
            steps.Clear();
            Parse(path, steps);
        }

        foreach (var step in steps)
        {
            if (step.Warning is not null)
            {
                warnings.Add(step.Warning);
                continue;
            }

            if (step.Error is not null) throw new ConfigException(step.Error);
            try
            {
                step.Key!.Set(options, step.Text);
            }
            catch (FormatException e)
            {
                throw new ConfigException($"{path}: line {step.Line}: {step.Dotted}: {e.Message}", e);
            }
        }
    }

    /// <summary>The file through YamlDotNet's representation model: any YAML, every error as the parser reports it.</summary>
    private static void Parse(string path, List<Step> steps)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{path}: line {e.Start.Line}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ConfigException($"{path}: {e.Message}", e);
        }

        if (yaml.Documents.Count == 0) return;
        if (yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ConfigException($"{path}: line {yaml.Documents[0].RootNode.Start.Line}: expected a mapping of sections at the top level");
        }

        foreach (var (section, sectionValue) in root.Children)
        {
            string sectionName = (section as YamlScalarNode)?.Value ?? "";
            if (sectionValue is not YamlMappingNode keys)
            {
                if (sectionValue is YamlScalarNode { Value: null or "" }) continue;
                steps.Add(NotAMapping(path, sectionName, section.Start.Line));
                continue;
            }

            foreach (var (keyNode, valueNode) in keys.Children)
            {
                string dotted = sectionName + "." + ((keyNode as YamlScalarNode)?.Value ?? "");
                string? text = valueNode switch
                {
                    YamlScalarNode s => s.Value ?? "",
                    YamlSequenceNode seq => "[" + string.Join(",", seq.Children.OfType<YamlScalarNode>().Select(c => c.Value)) + "]",
                    _ => null,
                };
                steps.Add(KeyStep(path, dotted, keyNode.Start.Line, text, valueNode.Start.Line));
            }
        }
    }

    /// <summary>
    /// The usual file, sections of keys whose values are scalars or flow lists of scalars ([a, b]), read from YamlDotNet's
    /// scanner tokens without its parser: the parser's first document builds the default tag directives, whose handle
    /// check is a compiled regex (a dynamic method for the JIT, and System.Text.RegularExpressions and Reflection.Emit
    /// loaded, on every start). False for anything else (directives, several documents, anchors, tags, block lists,
    /// empty values, nested mappings, a key twice, a scan error): the caller then reads the file with
    /// <see cref="Parse"/>, so what such a file gives, errors and messages included, is what it gave before.
    /// </summary>
    private static bool TryScan(string path, List<Step> steps)
    {
        try
        {
            using var reader = new StreamReader(path);
            var scanner = new Scanner(reader);
            if (Next(scanner) is not StreamStart) return false;
            var token = Next(scanner);
            if (token is StreamEnd) return Next(scanner) is null;
            if (token is not BlockMappingStart) return false;
            var sections = new HashSet<string>(StringComparer.Ordinal);
            while ((token = Next(scanner)) is not BlockEnd)
            {
                if (token is not Key || Next(scanner) is not Scalar section || !sections.Add(section.Value) || Next(scanner) is not Value) return false;
                token = Next(scanner);
                if (token is Scalar sectionScalar)
                {
                    if (sectionScalar.Value.Length > 0) steps.Add(NotAMapping(path, section.Value, section.Start.Line));
                    continue;
                }

                if (token is not BlockMappingStart || !TryScanSection(path, section.Value, scanner, steps)) return false;
            }

            return Next(scanner) is StreamEnd && Next(scanner) is null;
        }
        catch (Exception e) when (e is YamlException or IOException)
        {
            return false;
        }
    }

    /// <summary>A section's keys up to its block end (see <see cref="TryScan"/>).</summary>
    private static bool TryScanSection(string path, string section, Scanner scanner, List<Step> steps)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        Token? token;
        while ((token = Next(scanner)) is not BlockEnd)
        {
            if (token is not Key || Next(scanner) is not Scalar key || !keys.Add(key.Value) || Next(scanner) is not Value) return false;
            string dotted = section + "." + key.Value;
            switch (Next(scanner))
            {
                case Scalar value:
                    steps.Add(KeyStep(path, dotted, key.Start.Line, value.Value, value.Start.Line));
                    break;
                case FlowSequenceStart list:
                    if (TryScanFlowList(scanner) is not { } text) return false;
                    steps.Add(KeyStep(path, dotted, key.Start.Line, text, list.Start.Line));
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary>A flow list of scalars after its '[' as "[a,b]", or null for anything else (see <see cref="TryScan"/>).</summary>
    private static string? TryScanFlowList(Scanner scanner)
    {
        var text = new System.Text.StringBuilder("[");
        var token = Next(scanner);
        if (token is FlowSequenceEnd) return "[]";
        for (bool first = true; token is Scalar item; first = false)
        {
            if (!first) text.Append(',');
            text.Append(item.Value);
            token = Next(scanner);
            if (token is FlowSequenceEnd) return text.Append(']').ToString();
            if (token is not FlowEntry) return null;
            token = Next(scanner);
            if (token is FlowSequenceEnd) return text.Append(']').ToString();
        }

        return null;
    }

    /// <summary>Whether the file is one <see cref="TryScan"/> reads (the tests check the shipped configuration is).</summary>
    internal static bool ScannerReads(string path) => TryScan(path, []);

    private static Token? Next(Scanner scanner) => scanner.MoveNext() ? scanner.Current : null;

    private static Step NotAMapping(string path, string section, long line) =>
        new(null, section, "", line, $"{path}: line {line}: section '{section}' is not a mapping; ignored", null);

    private static Step KeyStep(string path, string dotted, long keyLine, string? text, long valueLine)
    {
        if (!ConfigKeys.TryGet(dotted, out var k)) return new(null, dotted, "", keyLine, $"{path}: line {keyLine}: unknown key '{dotted}' ignored", null);
        if (text is null) return new(null, dotted, "", valueLine, null, $"{path}: line {valueLine}: '{dotted}' must be a value or a list");
        return new(k, dotted, text, valueLine, null, null);
    }
}

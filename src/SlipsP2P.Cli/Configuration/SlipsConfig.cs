using SlipsP2P.Core;
using YamlDotNet.Core;
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
    public static AnalysisOptions Load(string? path, bool pathIsDefault, IEnumerable<string> overrides, ICollection<string> warnings)
    {
        var options = new AnalysisOptions();
        if (path is not null)
        {
            if (File.Exists(path)) ApplyFile(options, path, warnings);
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

    private static void ApplyFile(AnalysisOptions options, string path, ICollection<string> warnings)
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
                warnings.Add($"{path}: line {section.Start.Line}: section '{sectionName}' is not a mapping; ignored");
                continue;
            }

            foreach (var (keyNode, valueNode) in keys.Children)
            {
                string dotted = sectionName + "." + ((keyNode as YamlScalarNode)?.Value ?? "");
                if (!ConfigKeys.TryGet(dotted, out var k))
                {
                    warnings.Add($"{path}: line {keyNode.Start.Line}: unknown key '{dotted}' ignored");
                    continue;
                }

                string text = valueNode switch
                {
                    YamlScalarNode s => s.Value ?? "",
                    YamlSequenceNode seq => "[" + string.Join(",", seq.Children.OfType<YamlScalarNode>().Select(c => c.Value)) + "]",
                    _ => throw new ConfigException($"{path}: line {valueNode.Start.Line}: '{dotted}' must be a value or a list"),
                };
                try
                {
                    k.Set(options, text);
                }
                catch (FormatException e)
                {
                    throw new ConfigException($"{path}: line {valueNode.Start.Line}: {dotted}: {e.Message}", e);
                }
            }
        }
    }
}

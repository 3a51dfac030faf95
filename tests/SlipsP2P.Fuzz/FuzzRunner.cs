using System.Runtime.CompilerServices;

namespace SlipsP2P.Fuzz;

/// <summary>What a smoke run found: the input, as hex, and what it threw.</summary>
public sealed record FuzzFinding(string Target, byte[] Input, Exception Error)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Target}: {Error.GetType().Name}: {Error.Message} on {Input.Length}-byte input {Convert.ToHexString(Input.AsSpan(0, Math.Min(Input.Length, 256)))}{(Input.Length > 256 ? "..." : "")}\n{Error.StackTrace}";
}

/// <summary>Runs a target over seeds and deterministic mutations of them (the smoke run; a fuzzer does the rest).</summary>
public static class FuzzRunner
{
    /// <summary>The committed seeds of <paramref name="target"/> under <paramref name="corpusRoot"/>/&lt;target&gt;/.</summary>
    public static List<byte[]> ReadCorpus(string corpusRoot, string target)
    {
        var seeds = new List<byte[]>();
        string dir = Path.Combine(corpusRoot, target);
        if (!Directory.Exists(dir)) return seeds;
        var files = Directory.GetFiles(dir);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (string f in files) seeds.Add(File.ReadAllBytes(f));
        return seeds;
    }

    /// <summary>
    /// Runs every seed, then <paramref name="mutations"/> mutants (round-robin over the seeds). Returns the first
    /// finding, or null. <paramref name="current"/> always holds the input being run, so that a caller that times
    /// out can name the input that hung.
    /// </summary>
    public static FuzzFinding? Run(FuzzTarget target, IReadOnlyList<byte[]> seeds, int mutations, ulong seed, StrongBox<byte[]>? current = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(seeds);
        foreach (var input in seeds)
        {
            if (RunOne(target, input, current) is { } f) return f;
        }

        if (seeds.Count == 0) return null;
        var mutator = new Mutator(seed);
        for (int i = 0; i < mutations; i++)
        {
            var input = mutator.Mutate(seeds[i % seeds.Count]);
            if (RunOne(target, input, current) is { } f) return f;
        }

        return null;
    }

    private static FuzzFinding? RunOne(FuzzTarget target, byte[] input, StrongBox<byte[]>? current)
    {
        if (current is not null) current.Value = input;
        try
        {
            target.Run(input);
            return null;
        }
#pragma warning disable CA1031 // Whatever escapes a target is the finding being looked for.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new FuzzFinding(target.Name, input, ex);
        }
    }
}

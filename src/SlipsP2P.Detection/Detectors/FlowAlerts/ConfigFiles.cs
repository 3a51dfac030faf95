namespace SlipsP2P.Detection.Detectors.FlowAlerts;

/// <summary>Finds the project's data files (ports list, IoC files) whether slips runs from the repository or elsewhere.</summary>
public static class ConfigFiles
{
    /// <summary>
    /// <paramref name="path"/> when it is rooted or exists relative to the working directory; else under SLIPS_HOME; else the first match
    /// of it under the binary's directory or one of its parents (the launcher builds under the repository); else
    /// <paramref name="path"/> unchanged.
    /// </summary>
    public static string Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Path.IsPathRooted(path) || File.Exists(path) || Directory.Exists(path)) return path;
        // The ./slips launcher names the repository in SLIPS_HOME.
        if (Environment.GetEnvironmentVariable("SLIPS_HOME") is { Length: > 0 } home)
        {
            string inHome = Path.Combine(home, path);
            if (File.Exists(inHome) || Directory.Exists(inHome)) return inHome;
        }

        string? dir = AppContext.BaseDirectory;
        for (int depth = 0; dir is not null && depth < 8; depth++)
        {
            string candidate = Path.Combine(dir, path);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
            dir = Path.GetDirectoryName(dir.TrimEnd(Path.DirectorySeparatorChar));
        }

        return path;
    }
}

namespace SlipsP2P.Cli.Commands;

/// <summary>Writing a file a command produces (a trained model), with its folder, and one error line on failure.</summary>
internal static class OutputFile
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/>, creating its folder; false after printing why not.</summary>
    public static bool TryWriteText(string path, string text, string me, TextWriter stderr)
    {
        try
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.WriteAllText(path, text);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"{me}: cannot write {path}: {e.Message}");
            return false;
        }
    }
}

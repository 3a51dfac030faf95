// Bootstrap files (DESIGN.md, bootstrap-peers/*.txt): one multiaddr ending in /p2p/<peer id> per line, '#' starts a
// comment, blank lines are skipped. A bad line is reported with file:line and skipped; the rest still load.
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Discovery;

/// <summary>Reads bootstrap peer lists.</summary>
public static class BootstrapPeers
{
    /// <summary>Files larger than this are rejected unread.</summary>
    public const long MaxFileSize = 1024 * 1024;

    /// <summary>Lines longer than this are reported and skipped.</summary>
    public const int MaxLineLength = 2048;

    /// <summary>
    /// Loads every <c>*.txt</c> in <paramref name="path"/> (a folder, in name order) or the single file
    /// <paramref name="path"/>. Duplicate addresses are kept once.
    /// </summary>
    public static IReadOnlyList<PeerAddress> Load(string path, List<DiscoveryInputError> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(errors);
        var result = new List<PeerAddress>();
        var seen = new HashSet<Multiaddr>();
        IEnumerable<string> files;
        if (Directory.Exists(path))
        {
            var list = Directory.GetFiles(path, "*.txt");
            Array.Sort(list, StringComparer.Ordinal);
            files = list;
        }
        else if (File.Exists(path))
        {
            files = [path];
        }
        else
        {
            errors.Add(new DiscoveryInputError(path, 0, "no such file or folder"));
            return result;
        }

        foreach (var file in files)
        {
            long size;
            try
            {
                size = new FileInfo(file).Length;
            }
            catch (IOException ex)
            {
                errors.Add(new DiscoveryInputError(file, 0, ex.Message));
                continue;
            }

            if (size > MaxFileSize)
            {
                errors.Add(new DiscoveryInputError(file, 0, $"file is {size} bytes, more than the {MaxFileSize} allowed"));
                continue;
            }

            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add(new DiscoveryInputError(file, 0, ex.Message));
                continue;
            }

            foreach (var peer in Parse(text, file, errors))
            {
                if (seen.Add(peer.Address)) result.Add(peer);
            }
        }

        return result;
    }

    /// <summary>Parses the text of one bootstrap file; <paramref name="fileName"/> is used in error reports.</summary>
    public static List<PeerAddress> Parse(string text, string fileName, List<DiscoveryInputError> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(errors);
        var result = new List<PeerAddress>();
        int lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine;
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            line = line.Trim();
            if (line.IsEmpty) continue;
            if (line.Length > MaxLineLength)
            {
                errors.Add(new DiscoveryInputError(fileName, lineNumber, $"line longer than {MaxLineLength} characters"));
                continue;
            }

            string s = line.ToString();
            if (!Multiaddr.TryParse(s, out var addr, out string? error) || addr is null)
            {
                errors.Add(new DiscoveryInputError(fileName, lineNumber, $"'{s}' is not a multiaddr: {error}"));
                continue;
            }

            if (addr.Components.Count == 0 || addr.Components[^1].Protocol != MultiaddrProtocol.P2p)
            {
                errors.Add(new DiscoveryInputError(fileName, lineNumber, $"'{s}' does not end in /p2p/<peer id>"));
                continue;
            }

            if (addr.Components.Count == 1)
            {
                errors.Add(new DiscoveryInputError(fileName, lineNumber, $"'{s}' has no transport address before /p2p"));
                continue;
            }

            result.Add(new PeerAddress(addr.PeerId!, addr));
        }

        return result;
    }
}

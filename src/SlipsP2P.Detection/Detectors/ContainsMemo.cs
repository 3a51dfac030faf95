namespace SlipsP2P.Detection.Detectors;

/// <summary>
/// Whether a text contains a word (ordinal, ignoring case), remembered for the last text instance seen. The per-flow
/// fields it is used on (service names, certificate validation status) repeat a few string instances that ingest
/// caches, so most calls compare one reference instead of searching the text; strings are immutable, so the
/// remembered answer is always the right one.
/// </summary>
internal sealed class ContainsMemo(string word)
{
    private string? _text;
    private bool _contains;

    /// <summary>True when <paramref name="text"/> contains the word.</summary>
    public bool In(string text)
    {
        if (!ReferenceEquals(text, _text))
        {
            _contains = text.Length >= word.Length && text.Contains(word, StringComparison.OrdinalIgnoreCase);
            _text = text;
        }

        return _contains;
    }
}

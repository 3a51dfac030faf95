namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>Splits a delimited line into field ranges held in a reusable array (no allocation per line).</summary>
internal sealed class FieldSplitter
{
    private readonly Range[] _fields;

    public FieldSplitter(int maxFields) => _fields = new Range[maxFields];

    /// <summary>Number of fields found by the last <see cref="Split"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Splits <paramref name="line"/>; false when it has more than the maximum number of fields.</summary>
    public bool Split(ReadOnlySpan<byte> line, byte separator)
    {
        int count = 0, start = 0;
        while (true)
        {
            int rel = line[start..].IndexOf(separator);
            int end = rel < 0 ? line.Length : start + rel;
            if (count == _fields.Length) return false;
            _fields[count++] = new Range(start, end);
            if (rel < 0) break;
            start = end + 1;
        }

        Count = count;
        return true;
    }

    /// <summary>Field <paramref name="index"/> of <paramref name="line"/>, trimmed; empty when the line is shorter.</summary>
    public ReadOnlySpan<byte> Get(ReadOnlySpan<byte> line, int index) =>
        index >= 0 && index < Count ? FieldText.Trim(line[_fields[index]]) : default;
}

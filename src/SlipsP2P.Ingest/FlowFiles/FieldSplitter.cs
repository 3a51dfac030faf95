using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>Splits a delimited line into field ranges held in a reusable array (no allocation per line).</summary>
internal sealed class FieldSplitter
{
    private readonly Range[] _fields;
    private readonly int[] _separators;

    public FieldSplitter(int maxFields)
    {
        _fields = new Range[maxFields];
        _separators = new int[maxFields];
    }

    /// <summary>Number of fields found by the last <see cref="Split"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Splits <paramref name="line"/>; false when it has more than the maximum number of fields.</summary>
    public bool Split(ReadOnlySpan<byte> line, byte separator)
    {
        int n = FindAll(line, separator, _separators);
        if (n < 0) return false;
        int start = 0;
        for (int i = 0; i < n; i++)
        {
            _fields[i] = new Range(start, _separators[i]);
            start = _separators[i] + 1;
        }

        _fields[n] = new Range(start, line.Length);
        Count = n + 1;
        return true;
    }

    /// <summary>Field <paramref name="index"/> of <paramref name="line"/>, trimmed; empty when the line is shorter.</summary>
    public ReadOnlySpan<byte> Get(ReadOnlySpan<byte> line, int index) =>
        index >= 0 && index < Count ? FieldText.Trim(line[_fields[index]]) : default;

    /// <summary>
    /// The offsets of every <paramref name="separator"/> in <paramref name="line"/>, in one pass of 32 or 16 bytes
    /// at a time (a flow-file line has 15 to 25 short fields, where an IndexOf per field costs more than the field).
    /// Returns the count, or -1 when the line has <paramref name="positions"/>.Length separators or more, that is
    /// more fields than <paramref name="positions"/> can describe.
    /// </summary>
    public static int FindAll(ReadOnlySpan<byte> line, byte separator, Span<int> positions)
    {
        int count = 0;
        int i = 0;
        ref byte start = ref MemoryMarshal.GetReference(line);
        if (Vector256.IsHardwareAccelerated && line.Length >= Vector256<byte>.Count)
        {
            var sep = Vector256.Create(separator);
            for (; i <= line.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                uint mask = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)i), sep).ExtractMostSignificantBits();
                if (!Add(mask, i, positions, ref count)) return -1;
            }
        }
        else if (Vector128.IsHardwareAccelerated && line.Length >= Vector128<byte>.Count)
        {
            var sep = Vector128.Create(separator);
            for (; i <= line.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                uint mask = Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)i), sep).ExtractMostSignificantBits();
                if (!Add(mask, i, positions, ref count)) return -1;
            }
        }

        for (; i < line.Length; i++)
        {
            if (line[i] != separator) continue;
            if (count >= positions.Length - 1) return -1;
            positions[count++] = i;
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Add(uint mask, int offset, Span<int> positions, ref int count)
    {
        while (mask != 0)
        {
            // The last slot stays free: n separators make n + 1 fields.
            if (count >= positions.Length - 1) return false;
            positions[count++] = offset + BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
        }

        return true;
    }
}

using System.Text;

namespace SlipsP2P.Core;

/// <summary>
/// Short UTF-8 texts appended one after another into a shared block (a length byte, then the bytes), so that a
/// flow-file parser can keep a record's rarely read text fields (Community ID, AID: read only when flows are
/// written out) without a string each; the record makes the string the first time it is read
/// (<see cref="FlowRecord.SetCommunityIdText"/>). Append-only: bytes once written never change, so a record handed to
/// another thread reads its own text safely while the parser keeps appending to the block.
/// </summary>
public sealed class Utf8TextBlock
{
    /// <summary>Longest text a block takes (one length byte).</summary>
    public const int MaxTextLength = byte.MaxValue;

    /// <summary>Default block size: a few hundred texts, so that a record kept long holds little else alive.</summary>
    public const int DefaultSize = 16 * 1024;

    private readonly byte[] _bytes;
    private int _used;

    /// <summary>A block of <paramref name="size"/> bytes (offsets are 16-bit, so at most 64 KiB).</summary>
    public Utf8TextBlock(int size = DefaultSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MaxTextLength + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, ushort.MaxValue + 1);
        _bytes = new byte[size];
    }

    /// <summary>
    /// Appends <paramref name="text"/>; false when it is longer than <see cref="MaxTextLength"/> or the block is full
    /// (then nothing is written: the caller keeps a string, or starts a new block).
    /// </summary>
    public bool TryAppend(ReadOnlySpan<byte> text, out ushort offset)
    {
        offset = 0;
        if (text.Length > MaxTextLength || _bytes.Length - _used < text.Length + 1) return false;
        offset = (ushort)_used;
        _bytes[_used] = (byte)text.Length;
        text.CopyTo(_bytes.AsSpan(_used + 1));
        _used += text.Length + 1;
        return true;
    }

    /// <summary>The text at <paramref name="offset"/> (as <see cref="TryAppend"/> gave it), decoded as UTF-8.</summary>
    public string GetString(ushort offset) => Encoding.UTF8.GetString(Text(offset));

    /// <summary>The bytes of the text at <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> Text(ushort offset) => _bytes.AsSpan(offset + 1, _bytes[offset]);
}

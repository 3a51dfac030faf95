using System.Buffers.Binary;
using System.Text;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Reuses strings for short values that repeat on almost every line (protocol names, services, states, history,
/// labels), so that reading a flow file does not allocate one string per field. Direct-mapped: a colliding value
/// simply replaces the slot.
/// </summary>
internal sealed class StringCache
{
    private const int Slots = 1024;
    private const int MaxCachedLength = 48;
    private readonly string?[] _slots = new string?[Slots];
    // Small blocks (about 65 lines of Community ID and AID): a record that detection keeps for minutes of traffic
    // (service mismatch candidates wait 300 s) keeps its whole block alive, so a block should not hold much else.
    private const int TextBlockSize = 4096;
    private Utf8TextBlock _block = new(TextBlockSize);

    public string Get(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) return "";
        if (value.Length > MaxCachedLength) return Encoding.UTF8.GetString(value);
        ref string? slot = ref _slots[Hash(value) & (Slots - 1)];
        string? s = slot;

        // Ascii.Equals is false for any byte of 0x80 or more: such values are decoded each time, never mistaken.
        if (s is not null && Ascii.Equals(value, s)) return s;
        s = Encoding.UTF8.GetString(value);
        slot = s;
        return s;
    }

    /// <summary>
    /// Keeps a value that is unique per line and seldom read (Community ID, AID) as bytes in a shared block instead of
    /// a string (see <see cref="FlowRecord.SetCommunityIdText"/>); a full block is left to the records that use it and
    /// a new one started. False for an empty or over-long value: the caller keeps a string.
    /// </summary>
    public bool TryKeep(ReadOnlySpan<byte> value, out Utf8TextBlock block, out ushort offset)
    {
        block = _block;
        if (value.IsEmpty || value.Length > Utf8TextBlock.MaxTextLength) { offset = 0; return false; }
        if (block.TryAppend(value, out offset)) return true;
        block = _block = new Utf8TextBlock(TextBlockSize);
        return block.TryAppend(value, out offset);
    }

    /// <summary>
    /// The slot of a value from its length and its first and last eight bytes (two loads instead of a loop over a
    /// 40-byte label); values that differ only in the middle share a slot and take turns in it.
    /// </summary>
    private static uint Hash(ReadOnlySpan<byte> value)
    {
        ulong head, tail;
        if (value.Length >= 8)
        {
            head = BinaryPrimitives.ReadUInt64LittleEndian(value);
            tail = BinaryPrimitives.ReadUInt64LittleEndian(value[^8..]);
        }
        else
        {
            head = 0;
            foreach (byte b in value) head = (head << 8) | b;
            tail = 0;
        }

        ulong h = (head * 0x9E3779B97F4A7C15UL) ^ (tail * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)value.Length * 0x165667B19E3779F9UL);
        return (uint)(h >> 40);
    }
}

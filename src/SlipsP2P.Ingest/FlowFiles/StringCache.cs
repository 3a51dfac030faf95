using System.Text;

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

    public string Get(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) return "";
        if (value.Length > MaxCachedLength) return Encoding.UTF8.GetString(value);
        uint h = 2166136261;
        foreach (byte b in value) h = (h ^ b) * 16777619;
        ref string? slot = ref _slots[h & (Slots - 1)];
        string? s = slot;
        if (s is not null && Same(s, value)) return s;
        s = Encoding.UTF8.GetString(value);
        slot = s;
        return s;
    }

    private static bool Same(string s, ReadOnlySpan<byte> value)
    {
        if (s.Length != value.Length) return false;
        for (int i = 0; i < value.Length; i++)
        {
            if (s[i] != value[i] || value[i] >= 0x80) return false;
        }

        return true;
    }
}

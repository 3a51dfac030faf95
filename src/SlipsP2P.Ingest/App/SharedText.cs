namespace SlipsP2P.Ingest.App;

/// <summary>
/// Shares the strings of values that repeat across flows (DNS names, TLS server names and JA3 texts, HTTP hosts,
/// user agents and content types): a value already seen comes back as the same string instead of a new one.
/// Direct-mapped by a hash of the whole value; a colliding value replaces the slot. Safe to use from several flow
/// workers at once: a slot is one reference and one hash, each read and written whole, and a hit is compared
/// character by character before it is returned, so a race can only cost a miss.
/// </summary>
internal static class SharedText
{
    /// <summary>Slots in the table (a power of two).</summary>
    internal const int Slots = 4096;

    /// <summary>Longest value shared; longer ones are made each time.</summary>
    internal const int MaxSharedLength = 256;

    private const int StackChars = 2048;

    private static readonly string?[] s_slots = new string?[Slots];

    // The hash of each slot's value, beside it: a miss (most DNS names are new) is told from the hash alone, without
    // reading the slot's string, which is seldom in the cache (issue 5: Get was 2.5% of a capture's time, DNS names).
    private static readonly uint[] s_hashes = new uint[Slots];

    /// <summary>The string of <paramref name="value"/>, shared when it was seen before.</summary>
    public static string Get(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty) return "";
        if (value.Length > MaxSharedLength) return new string(value);
        uint hash = Hash(value);
        int index = (int)(hash & (Slots - 1));
        ref string? slot = ref s_slots[index];
        if (Volatile.Read(ref s_hashes[index]) == hash)
        {
            string? shared = Volatile.Read(ref slot);
            if (shared is not null && value.SequenceEqual(shared)) return shared;
        }

        string s = new(value);
        // A reader between the two writes sees a hash and a string that do not match: a miss, never a wrong value.
        Volatile.Write(ref s_hashes[index], hash);
        Volatile.Write(ref slot, s);
        return s;
    }

    /// <summary>
    /// The printable-ASCII text of <paramref name="bytes"/> (bytes outside <paramref name="lowest"/>..0x7E become '?'),
    /// at most <paramref name="maxLength"/> characters; shared as <see cref="Get"/> when <paramref name="share"/>
    /// (values that are mostly unique, such as URIs, would only push repeated ones out of the table).
    /// </summary>
    public static string Printable(ReadOnlySpan<byte> bytes, byte lowest, int maxLength, bool share = true)
    {
        if (bytes.Length > maxLength) bytes = bytes[..maxLength];
        if (bytes.IsEmpty) return "";
        // Exactly the length needed: a stack buffer is zeroed on entry, and a fixed 4 KB one was a sixth of a capture's time.
        Span<char> text = bytes.Length <= StackChars ? stackalloc char[bytes.Length] : new char[bytes.Length];
        ToPrintable(bytes, lowest, text);
        return share ? Get(text) : new string(text);
    }

    private static void ToPrintable(ReadOnlySpan<byte> bytes, byte lowest, Span<char> destination)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            byte c = bytes[i];
            destination[i] = c >= lowest && c < 0x7F ? (char)c : '?';
        }
    }

    // The runtime's string hash (Marvin, seeded per process): every character counts (JA3 texts share long
    // prefixes), and it is several times faster than a character-at-a-time loop. Only the slot depends on it.
    private static uint Hash(ReadOnlySpan<char> value) => (uint)string.GetHashCode(value);
}

using System.Numerics;

namespace SlipsP2P.Core;

/// <summary>
/// A flow uid held in 16 bytes instead of a reference to a string (a Zeek-shaped uid "C" + 17 base62 characters is a
/// 56-byte string): up to <see cref="MaxLength"/> characters from [0-9A-Za-z], six bits each, which covers Zeek's and
/// our own uids and Suricata's numeric flow ids. <see cref="ToString"/> gives back the same characters.
/// </summary>
/// <remarks>
/// Issue 5: detectors that keep one entry per tuple for a whole time window (periodicity, data upload) each held the
/// flow's uid string, most of what a one-connection tuple costs after its key. Records carry it too
/// (<see cref="NetEvent.TryGetPackedUid"/>): a parser or the flow table that has a uid which packs makes no string for it
/// unless someone asks for <see cref="NetEvent.Uid"/>. The default value is the empty uid.
/// </remarks>
public readonly struct PackedUid : IEquatable<PackedUid>
{
    /// <summary>Longest uid that packs (two 60-bit halves of ten 6-bit codes).</summary>
    public const int MaxLength = 20;

    /// <summary>Characters in each 60-bit half (the first ten in the low half, the rest in the high one).</summary>
    internal const int CharsPerHalf = 10;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // Code of each ASCII character: 1..62 for the alphabet, 0 for anything else (0 also ends the text). Constant data in
    // the image (a span over it, no array and no static constructor to check on the per-flow path; PackedUidTests
    // check it against the alphabet).
    internal static ReadOnlySpan<byte> Codes =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0, 0,
        0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
        26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 0, 0, 0, 0, 0,
        0, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,
        52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 0, 0, 0, 0, 0,
    ];

    private readonly ulong _low;
    private readonly ulong _high;

    private PackedUid(ulong low, ulong high)
    {
        _low = low;
        _high = high;
    }

    /// <summary>
    /// The uid whose characters have the six-bit codes <paramref name="low"/> (characters 0-9, character i at bits 6i)
    /// and <paramref name="high"/> (characters 10-19); a character's code is its index in the base62 alphabet
    /// (0-9, A-Z, a-z) plus one, and a zero code ends the uid. For the tests, which build uids from codes, valid or not
    /// (<c>FlowUid</c> made its uids this way until they were numbered: <see cref="FromNumber"/>).
    /// </summary>
    internal static PackedUid FromCodes(ulong low, ulong high) => new(low & CodeBits, high & CodeBits);

    private const ulong CodeBits = (1UL << (6 * CharsPerHalf)) - 1;

    /// <summary>Numbers <see cref="FromNumber"/> takes are below this: 2^63.</summary>
    public const ulong NumberLimit = 1UL << 63;

    // A numbered uid: 'C' (code 13), then the number in 11 base62 digits (least significant first; 62^11 > 2^63), nine
    // in the low half and two in the high one, then CheckDigits digits of a hash of the number; 18 characters, Zeek's
    // uid shape.
    private const ulong PrefixCode = 13;
    private const int CheckDigits = 6;
    private const ulong CheckKey = 0xD6E8FEB86659FD93UL;
    private const ulong Pow62To9 = 13_537_086_546_263_552UL; // 62^9: the digits held in the low half after the 'C'

    /// <summary>
    /// The uid numbered <paramref name="number"/> (below <see cref="NumberLimit"/>): "C", the number in 11 base62
    /// digits and 6 digits that check it. A generator that makes its uids this way (<c>FlowUid</c>: flows the node
    /// builds itself) lets a detector keep such a uid as its number in 8 bytes (<see cref="TryGetNumber"/>) instead of
    /// 16 (issue 5: the one-connection tuples and address pairs of a window, about 100,000 each on the 2M-packet
    /// generated capture).
    /// </summary>
    public static PackedUid FromNumber(ulong number)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(number, NumberLimit);
        ulong low = PrefixCode;
        ulong n = number;
        for (int i = 1; i < CharsPerHalf; i++)
        {
            low |= ((n % 62) + 1) << (6 * i);
            n /= 62;
        }

        // n < 62^2 here: the number's last two digits, then the check digits.
        ulong high = ((n % 62) + 1) | (((n / 62) + 1) << 6);
        ulong check = CheckOf(number);
        for (int i = 2; i < 2 + CheckDigits; i++)
        {
            high |= ((check % 62) + 1) << (6 * i);
            check /= 62;
        }

        return new PackedUid(low, high);
    }

    /// <summary>
    /// The number of a uid <see cref="FromNumber"/> made; false for any other uid (a Zeek uid passes the check by chance
    /// with a probability of 62^-6 per uid only if its other 12 characters also decode to a number below 2^63, and then
    /// it is still given back exactly: the number makes the same characters).
    /// </summary>
    public bool TryGetNumber(out ulong number)
    {
        number = 0;
        if ((_low & 0x3F) != PrefixCode || (_high >> (6 * (2 + CheckDigits))) != 0) return false;
        // The digits: codes 1-62 (a digit plus one) only, so that the number has exactly these characters; then only
        // the check digits are left to compare (the decoding is 0.4% of a pinned capture's samples, issue 5).
        ulong n = 0, scale = 1;
        for (int i = 1; i < CharsPerHalf; i++)
        {
            ulong digit = ((_low >> (6 * i)) & 0x3F) - 1;
            if (digit >= 62) return false;
            n += digit * scale;
            scale *= 62;
        }

        ulong d9 = (_high & 0x3F) - 1, d10 = ((_high >> 6) & 0x3F) - 1;
        if (d9 >= 62 || d10 >= 62) return false;
        ulong top = d9 + (d10 * 62); // below 62^2
        // number = n + top * 62^9, below 2^63: top at most 681 (2^63 / 62^9 = 681.3).
        if (top > (NumberLimit - 1 - n) / Pow62To9) return false;
        ulong candidate = n + (top * Pow62To9);
        ulong check = CheckOf(candidate);
        for (int i = 2; i < 2 + CheckDigits; i++)
        {
            if (((_high >> (6 * i)) & 0x3F) != (check % 62) + 1) return false;
            check /= 62;
        }

        number = candidate;
        return true;
    }

    /// <summary>
    /// The top bit of a numbered uid's code (<see cref="TryGetCode"/>): numbers are below 2^63, so a holder can keep a
    /// numbered uid and its own small values (0 for none, an index) in the same 8 bytes and tell them apart.
    /// </summary>
    public const ulong CodeTag = 1UL << 63;

    /// <summary>The uid's 8-byte code (its number with <see cref="CodeTag"/> set); false when it is not numbered.</summary>
    public bool TryGetCode(out ulong code)
    {
        bool numbered = TryGetNumber(out ulong number);
        code = numbered ? number | CodeTag : 0;
        return numbered;
    }

    /// <summary>Whether <paramref name="value"/> is a code <see cref="TryGetCode"/> gives (rather than a holder's own value).</summary>
    public static bool IsCode(ulong value) => (value & CodeTag) != 0;

    /// <summary>The uid of a code <see cref="TryGetCode"/> gave.</summary>
    public static PackedUid FromCode(ulong code) => FromNumber(code & ~CodeTag);

    private static ulong CheckOf(ulong number) => SplitMix64.Finalise(number ^ CheckKey);

    /// <summary>True for the empty uid.</summary>
    public bool IsEmpty => _low == 0;

    /// <summary>Packs <paramref name="uid"/>; false (and nothing packed) when it is too long or has other characters.</summary>
    public static bool TryPack(ReadOnlySpan<char> uid, out PackedUid packed) => TryPack<char>(uid, out packed);

    /// <summary>Packs the ASCII uid <paramref name="utf8"/> (as read from a file), as the text overload does.</summary>
    public static bool TryPack(ReadOnlySpan<byte> utf8, out PackedUid packed) => TryPack<byte>(utf8, out packed);

    private static bool TryPack<T>(ReadOnlySpan<T> uid, out PackedUid packed)
        where T : unmanaged, IBinaryInteger<T>
    {
        packed = default;
        if (uid.Length > MaxLength) return false;
        // Two loops, one per half, written out: one helper called per half (slices of the uid) took 22-28 ns a call
        // in the ReadyToRun build against 17-19 for these (scratch A/B, inlined or not).
        ReadOnlySpan<byte> codes = Codes;
        ulong low = 0, high = 0;
        int first = Math.Min(uid.Length, CharsPerHalf);
        for (int i = 0; i < first; i++)
        {
            uint c = uint.CreateTruncating(uid[i]);
            ulong code = c < 128 ? codes[(int)c] : 0u;
            if (code == 0) return false;
            low |= code << (6 * i);
        }

        for (int i = CharsPerHalf; i < uid.Length; i++)
        {
            uint c = uint.CreateTruncating(uid[i]);
            ulong code = c < 128 ? codes[(int)c] : 0u;
            if (code == 0) return false;
            high |= code << (6 * (i - CharsPerHalf));
        }

        packed = new PackedUid(low, high);
        return true;
    }

    /// <summary>The uid's characters (a new string; "" for the empty uid).</summary>
    public override string ToString()
    {
        int length = Length();
        if (length == 0) return "";
        return string.Create(length, this, static (span, p) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                ulong half = i < CharsPerHalf ? p._low : p._high;
                int code = (int)((half >> (6 * (i % CharsPerHalf))) & 0x3F);
                span[i] = Alphabet[code - 1];
            }
        });
    }

    /// <inheritdoc />
    public bool Equals(PackedUid other) => _low == other._low && _high == other._high;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PackedUid other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_low, _high);

    public static bool operator ==(PackedUid left, PackedUid right) => left.Equals(right);

    public static bool operator !=(PackedUid left, PackedUid right) => !left.Equals(right);

    private int Length()
    {
        int n = 0;
        while (n < MaxLength)
        {
            ulong half = n < CharsPerHalf ? _low : _high;
            if (((half >> (6 * (n % CharsPerHalf))) & 0x3F) == 0) break;
            n++;
        }

        return n;
    }

    /// <summary>The code table as the alphabet defines it (for the tests: <see cref="Codes"/> must equal it).</summary>
    internal static byte[] CodesFromAlphabet()
    {
        var codes = new byte[128];
        for (int i = 0; i < Alphabet.Length; i++) codes[Alphabet[i]] = (byte)(i + 1);
        return codes;
    }
}

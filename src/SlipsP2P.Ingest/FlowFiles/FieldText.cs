using System.Buffers.Text;
using System.Text;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.FlowFiles;

/// <summary>
/// Field parsers over ASCII/UTF-8 bytes, shared by the flow-file readers. None of them allocates except for
/// IPv6 addresses (through <see cref="IpAddr.TryParse"/>).
/// </summary>
internal static class FieldText
{
    /// <summary>Trims ASCII spaces and tabs on both sides.</summary>
    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int a = 0, b = s.Length;
        while (a < b && (s[a] == (byte)' ' || s[a] == (byte)'\t')) a++;
        while (b > a && (s[b - 1] == (byte)' ' || s[b - 1] == (byte)'\t')) b--;
        return s[a..b];
    }

    public static bool TryParseLong(ReadOnlySpan<byte> s, out long value) =>
        TryParseDigits(s, out value) || (Utf8Parser.TryParse(s, out value, out int used) && used == s.Length);

    /// <summary>
    /// The fast path of the integer parsers: 1 to 18 ASCII digits and nothing else (what flow files write almost
    /// always). False sends the caller to the general parser, which gives the same value when there is one.
    /// </summary>
    private static bool TryParseDigits(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if ((uint)(s.Length - 1) >= 18) return false;
        long v = 0;
        for (int i = 0; i < s.Length; i++)
        {
            uint d = s[i] - (uint)'0';
            if (d > 9) return false;
            v = (v * 10) + d;
        }

        value = v;
        return true;
    }

    /// <summary>Parses a non-negative count; Zeek writes counts as integers, Suricata sometimes as doubles.</summary>
    public static bool TryParseCount(ReadOnlySpan<byte> s, out long value)
    {
        if (TryParseDigits(s, out value)) return true;
        if (Utf8Parser.TryParse(s, out value, out int used) && used == s.Length) return value >= 0;
        if (Utf8Parser.TryParse(s, out double d, out used) && used == s.Length && d >= 0 && d < 9.2e18)
        {
            value = (long)d;
            return true;
        }

        value = 0;
        return false;
    }

    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value) =>
        TryParseDecimal(s, out value)
        || (Utf8Parser.TryParse(s, out value, out int used) && used == s.Length && double.IsFinite(value));

    // Powers of ten that a double holds exactly (10^22 is the last).
    private static ReadOnlySpan<double> ExactPowersOfTen =>
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// The fast path of <see cref="TryParseDouble"/> for <c>digits[.digits]</c> (Zeek times and intervals): when all
    /// the digits form an integer m below 2^53, m and 10^k are exact doubles and one IEEE division rounds m / 10^k
    /// correctly (Clinger's fast path), so the value is the one the general parser gives, bit for bit. Anything else
    /// (signs, exponents, more digits) returns false for the general parser.
    /// </summary>
    private static bool TryParseDecimal(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        if ((uint)(s.Length - 1) >= 19) return false;
        ulong m = 0;
        int fraction = -1;
        for (int i = 0; i < s.Length; i++)
        {
            uint d = s[i] - (uint)'0';
            if (d <= 9)
            {
                m = (m * 10) + d;
                if (fraction >= 0) fraction++;
            }
            else if (s[i] == (byte)'.' && fraction < 0 && i > 0 && i + 1 < s.Length)
            {
                fraction = 0;
            }
            else
            {
                return false;
            }
        }

        // At most 19 digits, so m did not overflow.
        if (m > (1UL << 53)) return false;
        value = fraction <= 0 ? m : m / ExactPowersOfTen[fraction];
        return true;
    }

    /// <summary>A port: decimal, or hexadecimal with 0x as Argus prints ICMP type/code and some ports.</summary>
    public static bool TryParsePort(ReadOnlySpan<byte> s, out ushort value)
    {
        if (s.Length > 2 && s[0] == (byte)'0' && (s[1] | 0x20) == (byte)'x')
        {
            if (Utf8Parser.TryParse(s[2..], out uint h, out int usedHex, 'x') && usedHex == s.Length - 2 && h <= ushort.MaxValue)
            {
                value = (ushort)h;
                return true;
            }

            value = 0;
            return false;
        }

        if (s.Length <= 5 && TryParseDigits(s, out long fast))
        {
            value = fast <= ushort.MaxValue ? (ushort)fast : (ushort)0;
            return fast <= ushort.MaxValue;
        }

        if (Utf8Parser.TryParse(s, out uint d, out int used) && used == s.Length && d <= ushort.MaxValue)
        {
            value = (ushort)d;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>
    /// A protocol name as <see cref="ProtocolNames.Parse"/> reads it (case-insensitive; longer than 16 bytes is
    /// <see cref="Protocol.Other"/>), with the three names of nearly every line tested first on the bytes.
    /// </summary>
    public static Protocol ParseProtocol(ReadOnlySpan<byte> name)
    {
        if (name.Length == 3)
        {
            if (Ascii.EqualsIgnoreCase(name, "tcp"u8)) return Protocol.Tcp;
            if (Ascii.EqualsIgnoreCase(name, "udp"u8)) return Protocol.Udp;
        }
        else if (name.Length == 4 && Ascii.EqualsIgnoreCase(name, "icmp"u8))
        {
            return Protocol.Icmp;
        }

        if (name.Length > 16) return Protocol.Other;
        Span<char> chars = stackalloc char[16];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return ProtocolNames.Parse(chars[..name.Length]);
    }

    /// <summary>Parses an IPv4 or IPv6 address written as text.</summary>
    public static bool TryParseIp(ReadOnlySpan<byte> s, out IpAddr value)
    {
        if (TryParseV4(s, out uint v4))
        {
            value = IpAddr.FromV4(v4);
            return true;
        }

        value = default;
        if (s.Length < 2 || s.Length > 64 || s.IndexOf((byte)':') < 0) return false;
        Span<char> chars = stackalloc char[64];
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] >= 0x80) return false;
            chars[i] = (char)s[i];
        }

        return IpAddr.TryParse(chars[..s.Length], out value);
    }

    private static bool TryParseV4(ReadOnlySpan<byte> s, out uint value)
    {
        value = 0;
        if (s.Length < 7 || s.Length > 15) return false;
        uint acc = 0;
        int part = 0, digits = 0, dots = 0;
        foreach (byte c in s)
        {
            if (c == (byte)'.')
            {
                if (digits == 0 || ++dots > 3) return false;
                acc = (acc << 8) | (uint)part;
                part = 0;
                digits = 0;
            }
            else if (c - (uint)'0' <= 9)
            {
                part = (part * 10) + (c - '0');
                if (++digits > 3 || part > 255) return false;
            }
            else
            {
                return false;
            }
        }

        if (dots != 3 || digits == 0) return false;
        value = (acc << 8) | (uint)part;
        return true;
    }

    /// <summary>
    /// Parses a calendar time to unix seconds: <c>2013/08/15 15:00:31.123456</c> (Argus), <c>2018-01-12 15:37:30</c>
    /// (nfdump), <c>2021-06-06T15:59:46.457984+0200</c> and <c>...Z</c> (Suricata, Zeek JSON). Without a zone the
    /// time is taken as UTC, so that the same file gives the same timestamps on every machine.
    /// </summary>
    public static bool TryParseDateTime(ReadOnlySpan<byte> s, out double unixSeconds)
    {
        unixSeconds = 0;
        if (s.Length < 19) return false;
        if (!Digits(s, 0, 4, out int year) || (s[4] != (byte)'-' && s[4] != (byte)'/')
            || !Digits(s, 5, 2, out int month) || s[7] != s[4] || !Digits(s, 8, 2, out int day)
            || (s[10] != (byte)'T' && s[10] != (byte)' ') || !Digits(s, 11, 2, out int hour) || s[13] != (byte)':'
            || !Digits(s, 14, 2, out int minute) || s[16] != (byte)':' || !Digits(s, 17, 2, out int second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        int i = 19;
        double fraction = 0;
        if (i < s.Length && s[i] == (byte)'.')
        {
            int j = i + 1;
            double scale = 0.1;
            while (j < s.Length && s[j] - (uint)'0' <= 9)
            {
                fraction += (s[j] - '0') * scale;
                scale /= 10;
                j++;
            }

            if (j == i + 1) return false;
            i = j;
        }

        int offsetMinutes = 0;
        if (i < s.Length)
        {
            byte z = s[i];
            if (z == (byte)'Z' && i + 1 == s.Length)
            {
                i++;
            }
            else if (z is (byte)'+' or (byte)'-')
            {
                var zone = s[(i + 1)..];
                int zh, zm;
                if (zone.Length == 4 && Digits(zone, 0, 2, out zh) && Digits(zone, 2, 2, out zm)) { }
                else if (zone.Length == 5 && zone[2] == (byte)':' && Digits(zone, 0, 2, out zh) && Digits(zone, 3, 2, out zm)) { }
                else if (zone.Length == 2 && Digits(zone, 0, 2, out zh)) zm = 0;
                else return false;
                offsetMinutes = (zh * 60) + zm;
                if (z == (byte)'-') offsetMinutes = -offsetMinutes;
                i = s.Length;
            }
            else
            {
                return false;
            }
        }

        long seconds = (DaysFromCivil(year, month, day) * 86_400L) + (hour * 3600L) + (minute * 60L) + Math.Min(second, 59);
        unixSeconds = seconds + fraction - (offsetMinutes * 60.0);
        return i == s.Length;
    }

    /// <summary>
    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil): the arithmetic that
    /// a DateTime would do, without building one per line.
    /// </summary>
    internal static long DaysFromCivil(int year, int month, int day)
    {
        int y = month <= 2 ? year - 1 : year;
        int era = (y >= 0 ? y : y - 399) / 400;
        int yearOfEra = y - (era * 400);
        int dayOfYear = ((153 * (month > 2 ? month - 3 : month + 9)) + 2) / 5 + day - 1;
        int dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
        return (era * 146_097L) + dayOfEra - 719_468;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int at, int count, out int value)
    {
        value = 0;
        if (at + count > s.Length) return false;
        for (int k = at; k < at + count; k++)
        {
            uint d = s[k] - (uint)'0';
            if (d > 9) return false;
            value = (value * 10) + (int)d;
        }

        return true;
    }

    /// <summary>A time: unix seconds (<c>1601998366.786397</c>) or a calendar time.</summary>
    public static bool TryParseTime(ReadOnlySpan<byte> s, out double unixSeconds)
    {
        if (s.Length >= 19 && s[4] is (byte)'-' or (byte)'/') return TryParseDateTime(s, out unixSeconds);
        return TryParseDouble(s, out unixSeconds);
    }

    /// <summary>Text of at most 200 bytes of <paramref name="s"/>, for messages.</summary>
    public static string Preview(ReadOnlySpan<byte> s)
    {
        var t = s.Length > 200 ? s[..200] : s;
        string text = Encoding.UTF8.GetString(t);
        return s.Length > 200 ? text + "..." : text;
    }

    /// <summary>The first bytes of a file as hex, for "unknown content" messages.</summary>
    public static string Hex(ReadOnlySpan<byte> s) => Convert.ToHexString(s).ToLowerInvariant();
}

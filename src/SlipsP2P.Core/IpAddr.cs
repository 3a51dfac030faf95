using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SlipsP2P.Core;

/// <summary>
/// An IPv4 or IPv6 address as a 16-byte value type: hashable, comparable and free of allocation, so that flow keys
/// and profile keys stay structs on the hot path. IPv4 is held as an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
/// </summary>
public readonly struct IpAddr : IEquatable<IpAddr>, IComparable<IpAddr>
{
    private const ulong V4MappedHigh = 0;
    private const ulong V4MappedLowPrefix = 0x0000_FFFF_0000_0000UL;

    private readonly ulong _hi;
    private readonly ulong _lo;

    /// <summary>Creates an address from its two big-endian halves.</summary>
    public IpAddr(ulong hi, ulong lo)
    {
        _hi = hi;
        _lo = lo;
    }

    /// <summary>The unspecified value (::), used for "no address".</summary>
    public static IpAddr None => default;

    /// <summary>The high 64 bits, big-endian.</summary>
    public ulong High => _hi;

    /// <summary>The low 64 bits, big-endian.</summary>
    public ulong Low => _lo;

    /// <summary>True for an IPv4 address.</summary>
    public bool IsV4 => _hi == V4MappedHigh && (_lo & 0xFFFF_FFFF_0000_0000UL) == V4MappedLowPrefix;

    /// <summary>True for the default value (no address).</summary>
    public bool IsNone => _hi == 0 && _lo == 0;

    /// <summary>The IPv4 address as a host-order integer; only meaningful when <see cref="IsV4"/>.</summary>
    public uint V4 => (uint)_lo;

    /// <summary>An IPv4 address from its host-order integer value.</summary>
    public static IpAddr FromV4(uint address) => new(V4MappedHigh, V4MappedLowPrefix | address);

    /// <summary>An IPv4 address from 4 network-order bytes.</summary>
    public static IpAddr FromV4(ReadOnlySpan<byte> fourBytes) => FromV4(BinaryPrimitives.ReadUInt32BigEndian(fourBytes));

    /// <summary>An IPv6 address from 16 network-order bytes (an IPv4-mapped address becomes IPv4).</summary>
    public static IpAddr FromV6(ReadOnlySpan<byte> sixteenBytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes), BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes[8..]));

    /// <summary>Converts from <see cref="IPAddress"/>.</summary>
    public static IpAddr From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> b = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(b, out _);
            return FromV4(b);
        }

        address.TryWriteBytes(b, out _);
        return FromV6(b);
    }

    /// <summary>Parses text; returns false for anything that is not an IP address.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IpAddr value)
    {
        // Dotted-quad IPv4 (what DNS answers and flow files mostly hold) without allocating an IPAddress.
        if (TryParseDottedQuad(text, out uint v4))
        {
            value = FromV4(v4);
            return true;
        }

        if (IPAddress.TryParse(text, out var a))
        {
            value = From(a);
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Exactly four decimal parts of 0..255 without leading zeros: the one form whose meaning is certain. Anything else
    /// (octal "010", hex, fewer parts, IPv6) is left to <see cref="IPAddress.TryParse(ReadOnlySpan{char}, out IPAddress?)"/>
    /// so that the accepted forms stay exactly its own.
    /// </summary>
    private static bool TryParseDottedQuad(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        if (text.Length is < 7 or > 15) return false;
        int parts = 0, i = 0;
        while (true)
        {
            int start = i;
            uint part = 0;
            while (i < text.Length && (uint)(text[i] - '0') <= 9)
            {
                part = (part * 10) + (uint)(text[i] - '0');
                i++;
            }

            int digits = i - start;
            if (digits == 0 || digits > 3 || part > 255 || (digits > 1 && text[start] == '0')) return false;
            address = (address << 8) | part;
            if (++parts == 4) return i == text.Length;
            if (i >= text.Length || text[i] != '.') return false;
            i++;
        }
    }

    /// <summary>Parses text or throws <see cref="FormatException"/>.</summary>
    public static IpAddr Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not an IP address");

    /// <summary>Writes the address in network order: 4 bytes for IPv4, 16 for IPv6. Returns the count.</summary>
    public int WriteBytes(Span<byte> destination)
    {
        if (IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, V4);
            return 4;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
        return 16;
    }

    /// <summary>Converts to <see cref="IPAddress"/>.</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        int n = WriteBytes(b);
        return new IPAddress(b[..n]);
    }

    /// <summary>RFC 1918, RFC 4193 (fc00::/7), and link-local ranges count as private (local network).</summary>
    public bool IsPrivate
    {
        get
        {
            if (IsV4)
            {
                uint a = V4;
                return (a >> 24) == 10 || (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8 || (a >> 16) == 0xA9FE
                       || (a >> 22) == (100u << 2 | 1); // 100.64.0.0/10 carrier-grade NAT
            }

            return (_hi >> 57) == (0xFC >> 1) || (_hi >> 54) == (0xFE80 >> 6);
        }
    }

    /// <summary>Multicast (224.0.0.0/4, ff00::/8).</summary>
    public bool IsMulticast => IsV4 ? (V4 >> 28) == 0xE : (_hi >> 56) == 0xFF;

    /// <summary>Limited broadcast 255.255.255.255 or an address ending in .255 (a heuristic Slips uses too).</summary>
    public bool IsBroadcast => IsV4 && (V4 == 0xFFFF_FFFF || (V4 & 0xFF) == 0xFF);

    /// <summary>Loopback, unspecified, multicast or reserved addresses that never make a profile worth analysing.</summary>
    public bool IsSpecial
    {
        get
        {
            if (IsV4)
            {
                uint a = V4;
                return a == 0 || (a >> 24) == 127 || (a >> 28) >= 0xE;
            }

            return IsNone || (_hi == 0 && _lo == 1) || IsMulticast;
        }
    }

    public bool Equals(IpAddr other) => _hi == other._hi && _lo == other._lo;

    public override bool Equals(object? obj) => obj is IpAddr o && Equals(o);

    public override int GetHashCode() => HashCode.Combine(_hi, _lo);

    public int CompareTo(IpAddr other)
    {
        int c = _hi.CompareTo(other._hi);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    public static bool operator ==(IpAddr a, IpAddr b) => a.Equals(b);

    public static bool operator !=(IpAddr a, IpAddr b) => !a.Equals(b);

    public static bool operator <(IpAddr a, IpAddr b) => a.CompareTo(b) < 0;

    public static bool operator >(IpAddr a, IpAddr b) => a.CompareTo(b) > 0;

    public static bool operator <=(IpAddr a, IpAddr b) => a.CompareTo(b) <= 0;

    public static bool operator >=(IpAddr a, IpAddr b) => a.CompareTo(b) >= 0;

    /// <summary>Text form: dotted quad for IPv4, RFC 5952 for IPv6.</summary>
    public override string ToString()
    {
        if (IsV4)
        {
            uint a = V4;
            return string.Create(null, stackalloc char[15], $"{a >> 24}.{(a >> 16) & 0xFF}.{(a >> 8) & 0xFF}.{a & 0xFF}");
        }

        return ToIPAddress().ToString();
    }
}

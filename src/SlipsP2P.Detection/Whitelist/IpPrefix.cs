namespace SlipsP2P.Detection;

/// <summary>An IP network (CIDR) over <see cref="IpAddr"/>'s 128-bit form; IPv4 prefixes are offset by the 96-bit mapped prefix.</summary>
public readonly record struct IpPrefix(IpAddr Network, int Length)
{
    /// <summary>Parses "a.b.c.d/n" or "x::/n"; a bare address is a full-length prefix.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IpPrefix prefix)
    {
        prefix = default;
        int slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!IpAddr.TryParse(addressText, out var address)) return false;
        int max = address.IsV4 ? 32 : 128;
        int length = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out length) || length > max))
        {
            return false;
        }

        int bits = address.IsV4 ? length + 96 : length;
        prefix = new IpPrefix(Mask(address, bits), bits);
        return true;
    }

    /// <summary>True when <paramref name="address"/> is inside the network.</summary>
    public bool Contains(IpAddr address) => Mask(address, Length) == Network;

    /// <summary>Text form, "network/length" with the IPv4 length.</summary>
    public override string ToString() => Network.IsV4 && Length >= 96 ? $"{Network}/{Length - 96}" : $"{Network}/{Length}";

    private static IpAddr Mask(IpAddr a, int bits)
    {
        ulong hiMask = bits >= 64 ? ulong.MaxValue : bits <= 0 ? 0 : ulong.MaxValue << (64 - bits);
        ulong loMask = bits >= 128 ? ulong.MaxValue : bits <= 64 ? 0 : ulong.MaxValue << (128 - bits);
        return new IpAddr(a.High & hiMask, a.Low & loMask);
    }
}

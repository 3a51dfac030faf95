// RFC 4648 base32, lower-case, no padding: multibase prefix 'b' (https://github.com/multiformats/multibase).
namespace SlipsP2P.Libp2p.Multiformats;

/// <summary>RFC 4648 base32 in lower case without padding (multibase 'b').</summary>
public static class Base32
{
    /// <summary>The longest text <see cref="TryDecode"/> accepts.</summary>
    public const int MaxEncodedLength = 4096;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>Encodes <paramref name="data"/> as lower-case unpadded base32.</summary>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        int outLength = ((data.Length * 8) + 4) / 5;
        Span<char> chars = outLength <= 1024 ? stackalloc char[outLength] : new char[outLength];
        int bits = 0;
        int buffer = 0;
        int o = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[o++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        if (bits > 0) chars[o++] = Alphabet[(buffer << (5 - bits)) & 31];
        return new string(chars[..o]);
    }

    /// <summary>Decodes base32 (either case, no padding). Returns false on a bad character, bad length or non-zero trailing bits.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] data)
    {
        data = [];
        if (text.Length > MaxEncodedLength) return false;
        int rem = text.Length % 8;
        if (rem is 1 or 3 or 6) return false;
        var result = new byte[text.Length * 5 / 8];
        int bits = 0;
        int buffer = 0;
        int o = 0;
        foreach (char c in text)
        {
            int v = c switch
            {
                >= 'a' and <= 'z' => c - 'a',
                >= 'A' and <= 'Z' => c - 'A',
                >= '2' and <= '7' => c - '2' + 26,
                _ => -1,
            };
            if (v < 0) return false;
            buffer = ((buffer << 5) | v) & 0xFFF;
            bits += 5;
            if (bits >= 8)
            {
                result[o++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }

        if ((buffer & ((1 << bits) - 1)) != 0) return false;
        data = result;
        return true;
    }
}

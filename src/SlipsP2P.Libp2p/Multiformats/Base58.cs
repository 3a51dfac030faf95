// Base58btc (the Bitcoin alphabet): https://datatracker.ietf.org/doc/html/draft-msporny-base58
// Leading zero bytes map to leading '1' characters; the rest is a big-number base conversion.
namespace SlipsP2P.Libp2p.Multiformats;

/// <summary>Base58btc encoding, as used for peer ids and the multibase prefix 'z'.</summary>
public static class Base58
{
    /// <summary>The longest text <see cref="TryDecode"/> accepts; peer ids are far shorter.</summary>
    public const int MaxEncodedLength = 2048;

    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    private static readonly sbyte[] s_decodeMap = BuildDecodeMap();

    /// <summary>Encodes <paramref name="data"/> as base58btc text.</summary>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        int zeros = 0;
        while (zeros < data.Length && data[zeros] == 0) zeros++;

        // log(256)/log(58) ~ 1.366: the digit buffer can never need more than this.
        int size = ((data.Length - zeros) * 138 / 100) + 1;
        Span<byte> digits = size <= 512 ? stackalloc byte[size] : new byte[size];
        digits.Clear();
        int used = 0;
        for (int i = zeros; i < data.Length; i++)
        {
            int carry = data[i];
            int j = 0;
            for (int k = size - 1; k >= 0 && (carry != 0 || j < used); k--, j++)
            {
                carry += 256 * digits[k];
                digits[k] = (byte)(carry % 58);
                carry /= 58;
            }

            used = j;
        }

        int start = size - used;
        return Build(digits[start..], zeros);
    }

    /// <summary>Decodes base58btc text. Returns false for characters outside the alphabet or text longer than <see cref="MaxEncodedLength"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] data)
    {
        data = [];
        if (text.Length > MaxEncodedLength) return false;
        int zeros = 0;
        while (zeros < text.Length && text[zeros] == '1') zeros++;
        int size = ((text.Length - zeros) * 733 / 1000) + 1;
        Span<byte> bytes = size <= 512 ? stackalloc byte[size] : new byte[size];
        bytes.Clear();
        int used = 0;
        for (int i = zeros; i < text.Length; i++)
        {
            char c = text[i];
            if (c >= 128 || s_decodeMap[c] < 0) return false;
            int carry = s_decodeMap[c];
            int j = 0;
            for (int k = size - 1; k >= 0 && (carry != 0 || j < used); k--, j++)
            {
                carry += 58 * bytes[k];
                bytes[k] = (byte)(carry & 0xFF);
                carry >>= 8;
            }

            used = j;
        }

        data = new byte[zeros + used];
        bytes[(size - used)..].CopyTo(data.AsSpan(zeros));
        return true;
    }

    private static string Build(ReadOnlySpan<byte> digits, int zeros)
    {
        Span<char> chars = zeros + digits.Length <= 512 ? stackalloc char[zeros + digits.Length] : new char[zeros + digits.Length];
        chars[..zeros].Fill('1');
        for (int i = 0; i < digits.Length; i++) chars[zeros + i] = Alphabet[digits[i]];
        return new string(chars);
    }

    private static sbyte[] BuildDecodeMap()
    {
        var map = new sbyte[128];
        Array.Fill(map, (sbyte)-1);
        for (int i = 0; i < Alphabet.Length; i++) map[Alphabet[i]] = (sbyte)i;
        return map;
    }
}

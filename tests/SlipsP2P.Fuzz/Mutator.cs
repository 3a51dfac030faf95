using System.Buffers.Binary;

namespace SlipsP2P.Fuzz;

/// <summary>
/// Deterministic mutations for the smoke runs: bit flips, interesting bytes, truncation, insertion, chunk duplication
/// and length-field extremes (big- and little-endian 16/32-bit, and over-long varints). The same seed number always
/// gives the same mutants, so a failure names an input that can be made again.
/// </summary>
public sealed class Mutator
{
    private static readonly byte[] s_interesting = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x0A, 0x2F, 0x3A, 0x22, 0x09];
    private static readonly uint[] s_lengths = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];
    private ulong _state;

    /// <summary>Creates a mutator whose sequence is fixed by <paramref name="seed"/>.</summary>
    public Mutator(ulong seed) => _state = seed * 0x9E3779B97F4A7C15UL + 1;

    /// <summary>One to four mutations of <paramref name="input"/>.</summary>
    public byte[] Mutate(ReadOnlySpan<byte> input)
    {
        var data = new List<byte>(input.Length + 16);
        foreach (byte b in input) data.Add(b);
        int rounds = 1 + Next(4);
        for (int r = 0; r < rounds; r++) MutateOnce(data);
        return [.. data];
    }

    private void MutateOnce(List<byte> data)
    {
        int op = Next(9);
        if (data.Count == 0 && op < 6) op = 6;
        switch (op)
        {
            case 0: // flip one bit
                {
                    int i = Next(data.Count);
                    data[i] ^= (byte)(1 << Next(8));
                    break;
                }

            case 1: // an interesting byte
                data[Next(data.Count)] = s_interesting[Next(s_interesting.Length)];
                break;
            case 2: // truncate
                {
                    int keep = Next(data.Count);
                    data.RemoveRange(keep, data.Count - keep);
                    break;
                }

            case 3: // delete a range
                {
                    int at = Next(data.Count);
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + Next(8)));
                    break;
                }

            case 4: // a 16- or 32-bit length extreme at a random offset, either byte order
                WriteLength(data, Next(data.Count));
                break;
            case 5: // duplicate a chunk
                {
                    int at = Next(data.Count);
                    int len = Math.Min(data.Count - at, 1 + Next(32));
                    data.InsertRange(Next(data.Count + 1), data.GetRange(at, len));
                    break;
                }

            case 6: // insert random bytes
                {
                    int at = Next(data.Count + 1);
                    int len = 1 + Next(8);
                    for (int i = 0; i < len; i++) data.Insert(at, (byte)Next(256));
                    break;
                }

            case 7: // an over-long or maximal varint
                {
                    int at = Next(data.Count + 1);
                    int len = 1 + Next(11);
                    for (int i = 0; i < len; i++) data.Insert(at, i == len - 1 ? (byte)Next(2) : (byte)0xFF);
                    break;
                }

            default: // append an interesting byte run
                {
                    byte b = s_interesting[Next(s_interesting.Length)];
                    int len = 1 + Next(16);
                    for (int i = 0; i < len; i++) data.Add(b);
                    break;
                }
        }
    }

    private void WriteLength(List<byte> data, int at)
    {
        uint value = s_lengths[Next(s_lengths.Length)];
        Span<byte> bytes = stackalloc byte[4];
        bool wide = Next(2) == 0;
        bool big = Next(2) == 0;
        if (wide)
        {
            if (big) BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            else BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        }
        else
        {
            if (big) BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
            else BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)value);
        }

        int n = wide ? 4 : 2;
        for (int i = 0; i < n; i++)
        {
            if (at + i < data.Count) data[at + i] = bytes[i];
            else data.Add(bytes[i]);
        }
    }

    private int Next(int bound)
    {
        if (bound <= 1) return 0;
        // xorshift64*: small, fast and the same on every platform.
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return (int)((_state * 0x2545F4914F6CDD1DUL >> 33) % (ulong)bound);
    }
}

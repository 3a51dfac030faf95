// libp2p Noise wire framing: https://github.com/libp2p/specs/blob/master/noise/README.md#wire-format
//
//   +---------------------+----------------------------+
//   | length (uint16 BE)  | noise message (<= 65535)   |
//   +---------------------+----------------------------+
using System.Buffers;
using System.Buffers.Binary;

namespace SlipsP2P.Libp2p.Noise;

/// <summary>The 2-byte big-endian length framing of Noise messages.</summary>
public static class NoiseFrame
{
    /// <summary>The length prefix size.</summary>
    public const int HeaderLength = 2;

    /// <summary>The largest Noise message.</summary>
    public const int MaxMessageLength = 65535;

    /// <summary>The largest transport plaintext per frame (65535 - 16-byte tag).</summary>
    public const int MaxPlaintextLength = MaxMessageLength - NoiseCipherState.TagLength;

    /// <summary>Extracts one frame without copying the payload. False when more data is needed.</summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (buffer.Length < HeaderLength) return false;
        Span<byte> header = stackalloc byte[HeaderLength];
        buffer.Slice(0, HeaderLength).CopyTo(header);
        int length = BinaryPrimitives.ReadUInt16BigEndian(header);
        if (buffer.Length < HeaderLength + length) return false;
        message = buffer.Slice(HeaderLength, length);
        buffer = buffer.Slice(HeaderLength + length);
        return true;
    }

    /// <summary>Writes the length prefix for a message of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(int length, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaxMessageLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)length);
    }
}

using System.Buffers.Binary;

namespace SlipsP2P.Ingest.Synthetic;

/// <summary>Writes a classic little-endian pcap file (microsecond timestamps, Ethernet link type).</summary>
public sealed class PcapWriter : IDisposable
{
    private const uint Magic = 0xA1B2C3D4;
    private const int LinkTypeEthernet = 1;
    private readonly Stream _stream;
    private readonly byte[] _header = new byte[16];

    /// <summary>Starts a capture on <paramref name="stream"/> (owned) with the given snapshot length.</summary>
    public PcapWriter(Stream stream, int snapLength = 65535)
    {
        _stream = stream;
        Span<byte> global = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(global, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(global[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(global[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(global[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(global[12..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(global[16..], snapLength);
        BinaryPrimitives.WriteInt32LittleEndian(global[20..], LinkTypeEthernet);
        _stream.Write(global);
    }

    /// <summary>Packets written.</summary>
    public long Packets { get; private set; }

    /// <summary>Appends one frame captured at <paramref name="timestampMicros"/> (unix microseconds).</summary>
    public void Write(long timestampMicros, ReadOnlySpan<byte> frame)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_header, (uint)(timestampMicros / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(4), (uint)(timestampMicros % 1_000_000));
        BinaryPrimitives.WriteInt32LittleEndian(_header.AsSpan(8), frame.Length);
        BinaryPrimitives.WriteInt32LittleEndian(_header.AsSpan(12), frame.Length);
        _stream.Write(_header);
        _stream.Write(frame);
        Packets++;
    }

    public void Dispose()
    {
        _stream.Flush();
        _stream.Dispose();
    }
}

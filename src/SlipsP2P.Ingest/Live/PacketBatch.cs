using System.Runtime.InteropServices;

namespace SlipsP2P.Ingest.Live;

/// <summary>
/// Packets captured together, copied back to back into one buffer with their timestamps and lengths, so that the
/// capture thread hands the analysis thread one object per batch rather than one per packet. Batches are pooled by
/// <see cref="PacketBatchChannel"/> and reused; nothing is allocated per packet.
/// </summary>
public sealed class PacketBatch
{
    private readonly byte[] _data;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private readonly int[] _wireLengths;
    private readonly double[] _timestamps;
    private int _used;

    /// <summary>Creates an empty batch for at most <paramref name="maxPackets"/> packets and <paramref name="bufferBytes"/> bytes.</summary>
    public PacketBatch(int maxPackets, int bufferBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPackets, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 1);
        _data = new byte[bufferBytes];
        _offsets = new int[maxPackets];
        _lengths = new int[maxPackets];
        _wireLengths = new int[maxPackets];
        _timestamps = new double[maxPackets];
    }

    /// <summary>Packets in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of packet data in the batch.</summary>
    public int Bytes => _used;

    /// <summary>The largest packet a batch can take (its whole buffer).</summary>
    public int Capacity => _data.Length;

    /// <summary>The link type (DLT) of every packet in the batch.</summary>
    public int LinkType { get; set; }

    /// <summary>True when no further packet can be added without checking its size.</summary>
    public bool IsFull => Count == _offsets.Length;

    /// <summary>The captured bytes of packet <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Data(int index) => _data.AsSpan(_offsets[index], _lengths[index]);

    /// <summary>The length packet <paramref name="index"/> had on the wire (at least its captured length).</summary>
    public int WireLength(int index) => _wireLengths[index];

    /// <summary>The capture time of packet <paramref name="index"/>, in seconds since the Unix epoch.</summary>
    public double Timestamp(int index) => _timestamps[index];

    /// <summary>Whether a packet of <paramref name="length"/> captured bytes still fits.</summary>
    public bool Fits(int length) => Count < _offsets.Length && length <= _data.Length - _used;

    /// <summary>Copies a packet from a span; the caller checked <see cref="Fits"/>.</summary>
    public void Add(ReadOnlySpan<byte> packet, int wireLength, double timestamp)
    {
        packet.CopyTo(_data.AsSpan(_used));
        Commit(packet.Length, wireLength, timestamp);
    }

    /// <summary>Copies a packet from unmanaged memory (libpcap's buffer); the caller checked <see cref="Fits"/>.</summary>
    public void Add(IntPtr packet, int length, int wireLength, double timestamp)
    {
        if (length > 0) Marshal.Copy(packet, _data, _used, length);
        Commit(length, wireLength, timestamp);
    }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        Count = 0;
        _used = 0;
    }

    private void Commit(int length, int wireLength, double timestamp)
    {
        int i = Count++;
        _offsets[i] = _used;
        _lengths[i] = length;
        _wireLengths[i] = Math.Max(length, wireLength);
        _timestamps[i] = timestamp;
        _used += length;
    }
}

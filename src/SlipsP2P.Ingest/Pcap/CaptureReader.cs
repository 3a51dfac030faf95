using System.Buffers.Binary;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Pcap;

/// <summary>Which capture format a file holds.</summary>
public enum CaptureFormat
{
    /// <summary>Classic libpcap (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/).</summary>
    Pcap,
    /// <summary>pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/).</summary>
    PcapNg,
}

/// <summary>The outcome of one <see cref="CaptureReader.Read"/>.</summary>
public enum ReadResult
{
    /// <summary>A packet is in the frame.</summary>
    Packet,
    /// <summary>A bad record was skipped; <see cref="CaptureReader.LastMessage"/> says why. Reading can go on.</summary>
    Skipped,
    /// <summary>The capture ended (cleanly, or at a truncated or corrupt record, reported once as Skipped first).</summary>
    End,
}

/// <summary>One captured frame; its data is valid only until the next read.</summary>
// Public fields on purpose: filled in place for every packet.
#pragma warning disable CA1051
public ref struct CapturedFrame
{
    /// <summary>The captured bytes.</summary>
    public ReadOnlySpan<byte> Data;
    /// <summary>The length on the wire.</summary>
    public int OriginalLength;
    /// <summary>Link type of the interface it was captured on.</summary>
    public int LinkType;
    /// <summary>Capture time, unix seconds.</summary>
    public double Timestamp;
    /// <summary>1-based packet number in the file (as Wireshark numbers frames).</summary>
    public long Number;
}
#pragma warning restore CA1051

/// <summary>
/// Reads classic pcap (both byte orders, micro- and nanosecond magic) and pcapng (sections in either byte order,
/// interface descriptions with if_tsresol/if_tsoffset, enhanced, simple and obsolete packet blocks; unknown blocks
/// skipped). The format is detected from the magic number, never from the file name.
/// <code>
/// pcap:   | magic 4 | major 2 | minor 2 | zone 4 | sigfigs 4 | snaplen 4 | linktype 4 | { ts_s 4 | ts_frac 4 | incl 4 | orig 4 | data }*
/// pcapng: { | type 4 | total_len 4 | body ... | total_len 4 | }*   SHB type 0x0A0D0D0A, body starts with BOM 0x1A2B3C4D
/// </code>
/// </summary>
public sealed class CaptureReader : IDisposable
{
    /// <summary>Largest packet record accepted (pcap's largest snap length is 262144; jumbo and TSO captures stay below this).</summary>
    public const int MaxPacketLength = 1024 * 1024;

    private const uint PcapMicro = 0xA1B2C3D4;
    private const uint PcapNano = 0xA1B23C4D;
    private const uint ShbType = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const int MaxInterfaces = 4096;

    private readonly CaptureInput _input;
    private readonly string _name;
    private readonly List<Interface> _interfaces = new();
    private bool _bigEndian;
    private bool _nano;
    private int _pcapLinkType;
    private long _number;
    private bool _ended;
    private bool _anyPacket;
    private double _lastTimestamp;

    private CaptureReader(CaptureInput input, string name)
    {
        _input = input;
        _name = name;
        ReadHeader();
    }

    /// <summary>The name used in messages (the path, or "-" for stdin).</summary>
    public string Name => _name;

    /// <summary>The detected format.</summary>
    public CaptureFormat Format { get; private set; }

    /// <summary>Link type of a classic pcap file, or of the first pcapng interface.</summary>
    public int LinkType => Format == CaptureFormat.Pcap ? _pcapLinkType : _interfaces.Count > 0 ? _interfaces[0].LinkType : -1;

    /// <summary>Why the last record was skipped ("file: packet N: ...").</summary>
    public string LastMessage { get; private set; } = "";

    /// <summary>Bytes consumed from the input.</summary>
    public long BytesRead => _input.Position;

    /// <summary>Opens a capture file; throws <see cref="InputException"/> when it is missing or not a capture.</summary>
    public static CaptureReader Open(string path)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InputException($"{path}: cannot open capture: {e.Message}", e);
        }

        try
        {
            return new CaptureReader(new CaptureInput(fs, ownsStream: true), path);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>Reads a capture from a stream (stdin); <paramref name="name"/> is used in messages.</summary>
    public static CaptureReader Open(Stream stream, string name, bool ownsStream = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new CaptureReader(new CaptureInput(stream, ownsStream), name);
    }

    private void ReadHeader()
    {
        if (!_input.Ensure(4))
        {
            throw new InputException($"{_name}: not a pcap or pcapng capture (file is {_input.Window.Length} bytes long)");
        }

        uint le = BinaryPrimitives.ReadUInt32LittleEndian(_input.Window);
        uint be = BinaryPrimitives.ReadUInt32BigEndian(_input.Window);
        if (le is PcapMicro or PcapNano || be is PcapMicro or PcapNano)
        {
            Format = CaptureFormat.Pcap;
            _bigEndian = be is PcapMicro or PcapNano;
            _nano = (_bigEndian ? be : le) == PcapNano;
            if (!_input.Ensure(24)) throw new InputException($"{_name}: truncated pcap file header ({_input.Window.Length} of 24 bytes)");
            ReadOnlySpan<byte> h = _input.Window;
            uint network = U32(h[20..]);
            _pcapLinkType = (int)(network & 0xFFFF); // the upper bits carry the FCS length, not the type
            if (!Packets.LinkType.IsSupported(_pcapLinkType))
            {
                throw new InputException($"{_name}: unsupported link type {_pcapLinkType} (supported: 0, 1, 12, 14, 101, 108, 113, 228, 229, 276)");
            }

            _input.Advance(24);
            return;
        }

        if (le == ShbType)
        {
            Format = CaptureFormat.PcapNg;
            if (!_input.Ensure(12)) throw new InputException($"{_name}: truncated pcapng section header");
            if (!ReadSectionHeader()) throw new InputException($"{_name}: {LastMessage}");
            return;
        }

        throw new InputException($"{_name}: not a pcap or pcapng capture (magic 0x{be:x8})");
    }

    private uint U32(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    private ushort U16(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    /// <summary>Reads the next packet into <paramref name="frame"/>.</summary>
    public ReadResult Read(ref CapturedFrame frame)
    {
        if (_ended) return ReadResult.End;
        return Format == CaptureFormat.Pcap ? ReadPcap(ref frame) : ReadPcapNg(ref frame);
    }

    private ReadResult End(string? message)
    {
        _ended = true;
        if (message is null) return ReadResult.End;
        LastMessage = message;
        return ReadResult.Skipped;
    }

    private ReadResult ReadPcap(ref CapturedFrame frame)
    {
        if (!_input.Ensure(16))
        {
            int left = _input.Window.Length;
            return End(left == 0 ? null : $"{_name}: packet {_number + 1}: truncated record header at end of file ({left} of 16 bytes)");
        }

        ReadOnlySpan<byte> h = _input.Window;
        uint seconds = U32(h);
        uint fraction = U32(h[4..]);
        uint included = U32(h[8..]);
        uint original = U32(h[12..]);
        long number = ++_number;
        if (included > MaxPacketLength)
        {
            // The length is the only way to the next record: past a corrupt one the file cannot be followed.
            return End($"{_name}: packet {number}: corrupt record (captured length {included} exceeds {MaxPacketLength}); stopped reading");
        }

        if (!_input.Ensure(16 + (int)included))
        {
            return End($"{_name}: packet {number}: truncated at end of file ({_input.Window.Length - 16} of {included} bytes)");
        }

        frame.Data = _input.Window.Slice(16, (int)included);
        frame.OriginalLength = (int)Math.Min(original, int.MaxValue);
        frame.LinkType = _pcapLinkType;
        frame.Timestamp = seconds + (fraction / (_nano ? 1e9 : 1e6));
        frame.Number = number;
        _input.Advance(16 + (int)included);
        _anyPacket = true;
        return ReadResult.Packet;
    }

    private ReadResult ReadPcapNg(ref CapturedFrame frame)
    {
        while (true)
        {
            if (!_input.Ensure(12))
            {
                int left = _input.Window.Length;
                return End(left == 0 ? null : $"{_name}: packet {_number + 1}: truncated block at end of file ({left} bytes)");
            }

            ReadOnlySpan<byte> w = _input.Window;
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(w); // the SHB type reads the same in both orders
            if (type == ShbType)
            {
                if (!ReadSectionHeader()) return End(LastMessage);
                continue;
            }

            type = U32(w);
            uint total = U32(w[4..]);
            if (total < 12 || (total & 3) != 0)
            {
                return End($"{_name}: packet {_number + 1}: corrupt block (type 0x{type:x}, length {total}); stopped reading");
            }

            bool isPacket = type is 6 or 3 or 2;
            if (!isPacket || total > CaptureInput.MaxWindow)
            {
                if (type == 1)
                {
                    if (!_input.Ensure((int)Math.Min(total, CaptureInput.MaxWindow))) return End($"{_name}: truncated interface description block at end of file");
                    if (total > CaptureInput.MaxWindow) return End($"{_name}: interface description block too large ({total} bytes); stopped reading");
                    ReadInterface(_input.Window[8..((int)total - 4)]);
                    _input.Advance((int)total);
                    continue;
                }

                if (isPacket)
                {
                    long n = ++_number;
                    if (!_input.Skip(total)) return End($"{_name}: packet {n}: truncated at end of file");
                    LastMessage = $"{_name}: packet {n}: block of {total} bytes exceeds {CaptureInput.MaxWindow}; skipped";
                    return ReadResult.Skipped;
                }

                if (!_input.Skip(total)) return End($"{_name}: truncated block (type 0x{type:x}) at end of file");
                continue;
            }

            long number = ++_number;
            if (!_input.Ensure((int)total))
            {
                return End($"{_name}: packet {number}: truncated at end of file ({_input.Window.Length} of {total} bytes)");
            }

            ReadOnlySpan<byte> body = _input.Window[8..((int)total - 4)];
            ReadResult r = DecodePacketBlock(type, body, number, ref frame);
            _input.Advance((int)total);
            if (r == ReadResult.Packet) _anyPacket = true;
            return r;
        }
    }

    private ReadResult DecodePacketBlock(uint type, ReadOnlySpan<byte> body, long number, ref CapturedFrame frame)
    {
        int interfaceId;
        ulong stamp = 0;
        int captured;
        uint original;
        int dataOffset;
        bool hasTime = true;
        switch (type)
        {
            case 6: // enhanced packet block
                if (body.Length < 20) return Skip(number, "enhanced packet block shorter than its header");
                // Clamped: an id of 2^31 or more would wrap negative and pass the range check below.
                interfaceId = (int)Math.Min(U32(body), int.MaxValue);
                stamp = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
                captured = (int)Math.Min(U32(body[12..]), int.MaxValue);
                original = U32(body[16..]);
                dataOffset = 20;
                break;
            case 2: // obsolete packet block
                if (body.Length < 20) return Skip(number, "packet block shorter than its header");
                interfaceId = U16(body);
                stamp = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
                captured = (int)Math.Min(U32(body[12..]), int.MaxValue);
                original = U32(body[16..]);
                dataOffset = 20;
                break;
            default: // simple packet block: no timestamp, interface 0, captured = min(original, snaplen, block)
                if (body.Length < 4) return Skip(number, "simple packet block shorter than its header");
                interfaceId = 0;
                original = U32(body);
                dataOffset = 4;
                captured = (int)Math.Min(original, (uint)(body.Length - 4));
                if (_interfaces.Count > 0 && _interfaces[0].SnapLength > 0) captured = Math.Min(captured, _interfaces[0].SnapLength);
                hasTime = false;
                break;
        }

        if (interfaceId >= _interfaces.Count) return Skip(number, $"packet refers to interface {interfaceId}, but only {_interfaces.Count} are described");
        if (captured > body.Length - dataOffset) return Skip(number, $"captured length {captured} exceeds its block");
        Interface itf = _interfaces[interfaceId];
        if (!Packets.LinkType.IsSupported(itf.LinkType))
        {
            if (!_anyPacket) throw new InputException($"{_name}: unsupported link type {itf.LinkType} on interface {interfaceId} (supported: 0, 1, 12, 14, 101, 108, 113, 228, 229, 276)");
            return Skip(number, $"unsupported link type {itf.LinkType} on interface {interfaceId}");
        }

        frame.Data = body.Slice(dataOffset, captured);
        frame.OriginalLength = (int)Math.Min(original, int.MaxValue);
        frame.LinkType = itf.LinkType;
        frame.Number = number;
        frame.Timestamp = hasTime ? itf.ToSeconds(stamp) : _lastTimestamp; // SPBs carry no time: keep the clock where it was
        _lastTimestamp = frame.Timestamp;
        return ReadResult.Packet;
    }

    private ReadResult Skip(long number, string why)
    {
        LastMessage = $"{_name}: packet {number}: {why}";
        return ReadResult.Skipped;
    }

    private bool ReadSectionHeader()
    {
        ReadOnlySpan<byte> w = _input.Window;
        uint bom = BinaryPrimitives.ReadUInt32LittleEndian(w[8..]);
        if (bom == ByteOrderMagic) _bigEndian = false;
        else if (BinaryPrimitives.ReverseEndianness(bom) == ByteOrderMagic) _bigEndian = true;
        else
        {
            LastMessage = $"{_name}: pcapng section header with a bad byte-order magic 0x{bom:x8}";
            return false;
        }

        uint total = U32(w[4..]);
        if (total < 28 || (total & 3) != 0 || total > CaptureInput.MaxWindow)
        {
            LastMessage = $"{_name}: pcapng section header with a bad length {total}";
            return false;
        }

        if (!_input.Ensure((int)total))
        {
            LastMessage = $"{_name}: truncated pcapng section header";
            return false;
        }

        ushort major = U16(_input.Window[12..]);
        if (major != 1)
        {
            LastMessage = $"{_name}: unsupported pcapng version {major}";
            return false;
        }

        _interfaces.Clear(); // interface ids are per section
        _input.Advance((int)total);
        return true;
    }

    private void ReadInterface(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8 || _interfaces.Count >= MaxInterfaces)
        {
            _interfaces.Add(new Interface(-1, 0, 1_000_000, false, 0));
            return;
        }

        int linkType = U16(body);
        int snap = (int)Math.Min(U32(body[4..]), int.MaxValue);
        ulong units = 1_000_000;
        bool binary = false;
        long offset = 0;
        ReadOnlySpan<byte> options = body[8..];
        while (options.Length >= 4)
        {
            ushort code = U16(options);
            int length = U16(options[2..]);
            if (code == 0) break;
            int padded = (length + 3) & ~3;
            if (options.Length < 4 + length) break;
            ReadOnlySpan<byte> value = options.Slice(4, length);
            if (code == 9 && length >= 1)
            {
                byte r = value[0];
                int exponent = r & 0x7F;
                binary = (r & 0x80) != 0;
                if (binary) units = exponent >= 63 ? 1UL << 62 : 1UL << exponent;
                else
                {
                    units = 1;
                    for (int i = 0; i < Math.Min(exponent, 19); i++) units *= 10;
                }
            }
            else if (code == 14 && length >= 8)
            {
                offset = (long)(_bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(value) : BinaryPrimitives.ReadUInt64LittleEndian(value));
            }

            if (options.Length < 4 + padded) break;
            options = options[(4 + padded)..];
        }

        _interfaces.Add(new Interface(linkType, snap, units, binary, offset));
    }

    public void Dispose() => _input.Dispose();

    private readonly record struct Interface(int LinkType, int SnapLength, ulong UnitsPerSecond, bool Binary, long OffsetSeconds)
    {
        public double ToSeconds(ulong stamp)
        {
            ulong whole = stamp / UnitsPerSecond;
            ulong rest = stamp % UnitsPerSecond;
            return OffsetSeconds + (double)whole + (rest / (double)UnitsPerSecond);
        }
    }
}

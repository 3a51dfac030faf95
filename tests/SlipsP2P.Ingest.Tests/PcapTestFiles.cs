using System.Buffers.Binary;

namespace SlipsP2P.Ingest.Tests;

/// <summary>Writes small pcap and pcapng files for reader tests.</summary>
internal static class PcapTestFiles
{
    public static byte[] Pcap(int linkType, IEnumerable<(double Ts, byte[] Data)> packets, bool bigEndian = false, bool nano = false)
    {
        var ms = new MemoryStream();
        void U32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            ms.Write(b);
        }

        void U16(ushort v)
        {
            Span<byte> b = stackalloc byte[2];
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            ms.Write(b);
        }

        U32(nano ? 0xA1B23C4D : 0xA1B2C3D4);
        U16(2);
        U16(4);
        U32(0);
        U32(0);
        U32(262144);
        U32((uint)linkType);
        foreach (var (ts, data) in packets)
        {
            uint sec = (uint)Math.Floor(ts);
            uint frac = (uint)Math.Round((ts - sec) * (nano ? 1e9 : 1e6));
            U32(sec);
            U32(frac);
            U32((uint)data.Length);
            U32((uint)data.Length);
            ms.Write(data);
        }

        return ms.ToArray();
    }

    /// <summary>A pcapng builder: blocks are appended in order.</summary>
    public sealed class PcapNg
    {
        private readonly List<byte> _ms = new();
        private readonly bool _bigEndian;

        public PcapNg(bool bigEndian = false)
        {
            _bigEndian = bigEndian;
            var body = new List<byte>();
            body.AddRange(U32(0x1A2B3C4D));
            body.AddRange(U16(1));
            body.AddRange(U16(0));
            body.AddRange(BitConverter.GetBytes(-1L)); // section length unknown
            Block(0x0A0D0D0A, body.ToArray());
        }

        private byte[] U32(uint v)
        {
            var b = new byte[4];
            if (_bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            return b;
        }

        private byte[] U16(ushort v)
        {
            var b = new byte[2];
            if (_bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            return b;
        }

        public PcapNg Block(uint type, byte[] body)
        {
            int padded = (body.Length + 3) & ~3;
            uint total = (uint)(12 + padded);
            _ms.AddRange(U32(type));
            _ms.AddRange(U32(total));
            _ms.AddRange(body);
            _ms.AddRange(new byte[padded - body.Length]);
            _ms.AddRange(U32(total));
            return this;
        }

        /// <summary>An interface; <paramref name="tsresol"/> is the raw if_tsresol byte (6 = microseconds, 9 = nanoseconds, 0x80|n = 2^-n), or null for none.</summary>
        public PcapNg Interface(int linkType, byte? tsresol = null)
        {
            var body = new List<byte>();
            body.AddRange(U16((ushort)linkType));
            body.AddRange(U16(0));
            body.AddRange(U32(262144));
            if (tsresol is byte r)
            {
                body.AddRange(U16(9));
                body.AddRange(U16(1));
                body.AddRange(new byte[] { r, 0, 0, 0 });
                body.AddRange(U16(0));
                body.AddRange(U16(0));
            }

            return Block(1, body.ToArray());
        }

        public PcapNg Enhanced(int interfaceId, ulong timestampUnits, byte[] data)
        {
            var body = new List<byte>();
            body.AddRange(U32((uint)interfaceId));
            body.AddRange(U32((uint)(timestampUnits >> 32)));
            body.AddRange(U32((uint)timestampUnits));
            body.AddRange(U32((uint)data.Length));
            body.AddRange(U32((uint)data.Length));
            body.AddRange(data);
            return Block(6, body.ToArray());
        }

        public PcapNg Simple(byte[] data)
        {
            var body = new List<byte>();
            body.AddRange(U32((uint)data.Length));
            body.AddRange(data);
            return Block(3, body.ToArray());
        }

        public byte[] ToArray() => _ms.ToArray();
    }
}

using System.Buffers.Binary;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Tests;

/// <summary>Builds frames byte by byte for decoder and flow tests (checksums are left zero: nothing verifies them).</summary>
internal static class PacketBuilder
{
    public const ulong MacA = 0x0011_2233_4455;
    public const ulong MacB = 0x0066_7788_99AA;

    public static byte[] Tcp(ushort sport, ushort dport, uint seq, uint ack, byte flags, byte[]? payload = null, ushort window = 64240, int optionBytes = 0)
    {
        payload ??= [];
        int hl = 20 + optionBytes;
        var b = new byte[hl + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), ack);
        b[12] = (byte)((hl / 4) << 4);
        b[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(14), window);
        for (int i = 20; i < hl; i++) b[i] = 1; // NOP options
        payload.CopyTo(b, hl);
        return b;
    }

    public static byte[] Udp(ushort sport, ushort dport, byte[] payload)
    {
        var b = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)b.Length);
        payload.CopyTo(b, 8);
        return b;
    }

    public static byte[] Icmp(byte type, byte code, byte[]? payload = null)
    {
        payload ??= new byte[8];
        var b = new byte[8 + payload.Length];
        b[0] = type;
        b[1] = code;
        payload.CopyTo(b, 8);
        return b;
    }

    public static byte[] Ipv4(string src, string dst, byte protocol, byte[] transport, ushort fragment = 0, int optionBytes = 0, ushort id = 1)
    {
        int hl = 20 + optionBytes;
        var b = new byte[hl + transport.Length];
        b[0] = (byte)(0x40 | (hl / 4));
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), fragment);
        b[8] = 64;
        b[9] = protocol;
        IpAddr.Parse(src).WriteBytes(b.AsSpan(12));
        IpAddr.Parse(dst).WriteBytes(b.AsSpan(16));
        for (int i = 20; i < hl; i++) b[i] = 1; // NOP options
        transport.CopyTo(b, hl);
        return b;
    }

    /// <summary>IPv6 with extension headers given as (type, body) where body excludes next-header/length bytes.</summary>
    public static byte[] Ipv6(string src, string dst, byte protocol, byte[] transport, params (byte Type, int Length)[] extensions)
    {
        var ext = new List<byte>();
        for (int i = 0; i < extensions.Length; i++)
        {
            byte next = i + 1 < extensions.Length ? extensions[i + 1].Type : protocol;
            var (type, length) = extensions[i];
            var h = new byte[length];
            h[0] = next;
            if (type == 44) { /* fragment: offset 0, M=0 unless set by caller */ }
            else if (type == 51) h[1] = (byte)((length / 4) - 2);
            else h[1] = (byte)((length / 8) - 1);
            ext.AddRange(h);
        }

        var b = new byte[40 + ext.Count + transport.Length];
        b[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)(ext.Count + transport.Length));
        b[6] = extensions.Length > 0 ? extensions[0].Type : protocol;
        b[7] = 64;
        IpAddr.Parse(src).WriteBytes(b.AsSpan(8));
        IpAddr.Parse(dst).WriteBytes(b.AsSpan(24));
        ext.ToArray().CopyTo(b, 40);
        transport.CopyTo(b, 40 + ext.Count);
        return b;
    }

    public static byte[] Ethernet(ulong src, ulong dst, ushort etherType, byte[] payload, params ushort[] vlanTpids)
    {
        var b = new byte[14 + (4 * vlanTpids.Length) + payload.Length];
        WriteMac(b.AsSpan(0), dst);
        WriteMac(b.AsSpan(6), src);
        int o = 12;
        for (int i = 0; i < vlanTpids.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(o), vlanTpids[i]);
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(o + 2), (ushort)(100 + i));
            o += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(o), etherType);
        payload.CopyTo(b, o + 2);
        return b;
    }

    public static byte[] EthernetIpv4(byte[] ip, ulong src = MacA, ulong dst = MacB) => Ethernet(src, dst, 0x0800, ip);

    public static byte[] Arp(ushort op, ulong senderMac, string senderIp, ulong targetMac, string targetIp)
    {
        var b = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(b, 1);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 0x0800);
        b[4] = 6;
        b[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), op);
        WriteMac(b.AsSpan(8), senderMac);
        IpAddr.Parse(senderIp).WriteBytes(b.AsSpan(14));
        WriteMac(b.AsSpan(18), targetMac);
        IpAddr.Parse(targetIp).WriteBytes(b.AsSpan(24));
        return b;
    }

    public static void WriteMac(Span<byte> b, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(b[2..], (uint)mac);
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var list = new List<byte>();
        foreach (var p in parts) list.AddRange(p);
        return list.ToArray();
    }
}

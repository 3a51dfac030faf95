// DNS message codec, the subset mDNS discovery needs: RFC 1035 §4 (header, question, resource records, name
// compression §4.1.4), RFC 6762 (multicast DNS; the top bit of qclass/rrclass is the unicast-response / cache-flush
// bit and is masked off here).
//
//   header:   | ID (16) | QR|Opcode|AA|TC|RD|RA|Z|RCODE (16) | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT |
//   question: | QNAME (labels) | QTYPE (16) | QCLASS (16) |
//   record:   | NAME | TYPE (16) | CLASS (16) | TTL (32) | RDLENGTH (16) | RDATA |
using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SlipsP2P.Libp2p.Discovery.Mdns;

/// <summary>DNS record types used here.</summary>
public enum DnsType : ushort
{
    /// <summary>IPv4 address.</summary>
    A = 1,

    /// <summary>Domain name pointer.</summary>
    DomainNamePointer = 12,

    /// <summary>Text strings.</summary>
    Txt = 16,

    /// <summary>IPv6 address.</summary>
    Aaaa = 28,

    /// <summary>Any type (queries).</summary>
    Any = 255,
}

/// <summary>A question.</summary>
/// <param name="Name">Queried name (dotted, no trailing dot).</param>
/// <param name="Type">Queried type.</param>
/// <param name="Class">Class with the mDNS unicast-response bit removed (1 = IN).</param>
public sealed record DnsQuestion(string Name, DnsType Type, ushort Class = 1);

/// <summary>A resource record. For PTR, <see cref="PtrTarget"/> is decoded; for TXT, <see cref="TxtStrings"/>.</summary>
public sealed class DnsRecord
{
    /// <summary>Owner name.</summary>
    public required string Name { get; init; }

    /// <summary>Type.</summary>
    public required DnsType Type { get; init; }

    /// <summary>Class without the cache-flush bit (1 = IN).</summary>
    public ushort Class { get; init; } = 1;

    /// <summary>Time to live in seconds.</summary>
    public uint Ttl { get; init; } = 120;

    /// <summary>PTR target name.</summary>
    public string? PtrTarget { get; init; }

    /// <summary>TXT character strings.</summary>
    public IReadOnlyList<byte[]>? TxtStrings { get; init; }

    /// <summary>Raw RDATA for other types.</summary>
    public byte[]? RawData { get; init; }
}

/// <summary>A DNS message (the parts mDNS uses; authority records are read and kept).</summary>
public sealed class DnsMessage
{
    /// <summary>Largest message accepted (mDNS allows up to 9000 bytes; RFC 6762 §17).</summary>
    public const int MaxSize = 9000;

    /// <summary>Longest name (RFC 1035 §2.3.4).</summary>
    public const int MaxNameLength = 255;

    /// <summary>Message id (0 in mDNS).</summary>
    public ushort Id { get; set; }

    /// <summary>Flags word (0x8400 = response, authoritative).</summary>
    public ushort Flags { get; set; }

    /// <summary>True for a response (QR bit).</summary>
    public bool IsResponse => (Flags & 0x8000) != 0;

    /// <summary>Questions.</summary>
    public List<DnsQuestion> Questions { get; } = [];

    /// <summary>Answer records.</summary>
    public List<DnsRecord> Answers { get; } = [];

    /// <summary>Authority records.</summary>
    public List<DnsRecord> Authorities { get; } = [];

    /// <summary>Additional records.</summary>
    public List<DnsRecord> Additionals { get; } = [];

    /// <summary>Encodes the message without name compression.</summary>
    public byte[] ToArray()
    {
        var w = new ArrayBufferWriter<byte>(512);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, Id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], Flags);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)Questions.Count);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)Answers.Count);
        BinaryPrimitives.WriteUInt16BigEndian(header[8..], (ushort)Authorities.Count);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], (ushort)Additionals.Count);
        w.Write(header);
        foreach (var q in Questions)
        {
            WriteName(w, q.Name);
            WriteUInt16(w, (ushort)q.Type);
            WriteUInt16(w, q.Class);
        }

        foreach (var r in Answers) WriteRecord(w, r);
        foreach (var r in Authorities) WriteRecord(w, r);
        foreach (var r in Additionals) WriteRecord(w, r);
        if (w.WrittenCount > MaxSize) throw new InvalidOperationException($"DNS message of {w.WrittenCount} bytes exceeds {MaxSize}");
        return w.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes a whole datagram. <see cref="OperationStatus.InvalidData"/> for anything malformed: truncation, bad
    /// labels, compression loops, counts that cannot fit the datagram.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out DnsMessage message, out int bytesConsumed)
    {
        message = new DnsMessage();
        bytesConsumed = 0;
        if (source.Length < 12 || source.Length > MaxSize) return OperationStatus.InvalidData;
        message.Id = BinaryPrimitives.ReadUInt16BigEndian(source);
        message.Flags = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(source[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(source[6..]);
        int ns = BinaryPrimitives.ReadUInt16BigEndian(source[8..]);
        int ar = BinaryPrimitives.ReadUInt16BigEndian(source[10..]);
        // Every question takes at least 5 bytes and every record at least 11: reject impossible counts before looping.
        if (12 + (qd * 5) + ((an + ns + ar) * 11) > source.Length) return OperationStatus.InvalidData;
        int pos = 12;
        for (int i = 0; i < qd; i++)
        {
            if (!TryReadName(source, ref pos, out string name) || pos + 4 > source.Length) return OperationStatus.InvalidData;
            var type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(source[pos..]);
            ushort cls = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(source[(pos + 2)..]) & 0x7FFF);
            pos += 4;
            message.Questions.Add(new DnsQuestion(name, type, cls));
        }

        if (!TryReadRecords(source, ref pos, an, message.Answers)
            || !TryReadRecords(source, ref pos, ns, message.Authorities)
            || !TryReadRecords(source, ref pos, ar, message.Additionals))
        {
            return OperationStatus.InvalidData;
        }

        bytesConsumed = pos;
        return OperationStatus.Done;
    }

    private static bool TryReadRecords(ReadOnlySpan<byte> source, ref int pos, int count, List<DnsRecord> into)
    {
        for (int i = 0; i < count; i++)
        {
            if (!TryReadName(source, ref pos, out string name) || pos + 10 > source.Length) return false;
            var type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(source[pos..]);
            ushort cls = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(source[(pos + 2)..]) & 0x7FFF);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(source[(pos + 4)..]);
            int rdLength = BinaryPrimitives.ReadUInt16BigEndian(source[(pos + 8)..]);
            pos += 10;
            if (pos + rdLength > source.Length) return false;
            int rdEnd = pos + rdLength;
            switch (type)
            {
                case DnsType.DomainNamePointer:
                    int p = pos;
                    if (!TryReadName(source, ref p, out string target) || p > rdEnd) return false;
                    into.Add(new DnsRecord { Name = name, Type = type, Class = cls, Ttl = ttl, PtrTarget = target });
                    break;
                case DnsType.Txt:
                    var strings = new List<byte[]>();
                    int t = pos;
                    while (t < rdEnd)
                    {
                        int len = source[t++];
                        if (t + len > rdEnd) return false;
                        strings.Add(source.Slice(t, len).ToArray());
                        t += len;
                    }

                    into.Add(new DnsRecord { Name = name, Type = type, Class = cls, Ttl = ttl, TxtStrings = strings });
                    break;
                default:
                    into.Add(new DnsRecord { Name = name, Type = type, Class = cls, Ttl = ttl, RawData = source[pos..rdEnd].ToArray() });
                    break;
            }

            pos = rdEnd;
        }

        return true;
    }

    /// <summary>Reads a possibly compressed name starting at <paramref name="pos"/>; advances past it.</summary>
    internal static bool TryReadName(ReadOnlySpan<byte> source, ref int pos, out string name)
    {
        name = "";
        var sb = new StringBuilder();
        int p = pos;
        int end = -1;
        int jumps = 0;
        while (true)
        {
            if (p >= source.Length) return false;
            byte len = source[p];
            if (len == 0)
            {
                p++;
                break;
            }

            if ((len & 0xC0) == 0xC0)
            {
                if (p + 1 >= source.Length) return false;
                // RFC 1035 §4.1.4 pointer; a bound on jumps stops loops.
                if (++jumps > 64) return false;
                int target = ((len & 0x3F) << 8) | source[p + 1];
                if (end < 0) end = p + 2;
                if (target >= source.Length) return false;
                p = target;
                continue;
            }

            if ((len & 0xC0) != 0 || p + 1 + len > source.Length) return false;
            if (sb.Length > 0) sb.Append('.');
            sb.Append(Encoding.UTF8.GetString(source.Slice(p + 1, len)));
            if (sb.Length > MaxNameLength) return false;
            p += 1 + len;
        }

        pos = end >= 0 ? end : p;
        name = sb.ToString();
        return true;
    }

    private static void WriteRecord(ArrayBufferWriter<byte> w, DnsRecord r)
    {
        WriteName(w, r.Name);
        WriteUInt16(w, (ushort)r.Type);
        WriteUInt16(w, r.Class);
        Span<byte> ttl = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(ttl, r.Ttl);
        w.Write(ttl);
        var rdata = new ArrayBufferWriter<byte>(64);
        if (r.Type == DnsType.DomainNamePointer)
        {
            WriteName(rdata, r.PtrTarget ?? throw new InvalidOperationException("PTR record without target"));
        }
        else if (r.Type == DnsType.Txt)
        {
            foreach (var s in r.TxtStrings ?? [])
            {
                if (s.Length > 255) throw new InvalidOperationException("TXT string longer than 255 bytes");
                rdata.Write([(byte)s.Length]);
                rdata.Write(s);
            }
        }
        else if (r.RawData is not null)
        {
            rdata.Write(r.RawData);
        }

        WriteUInt16(w, (ushort)rdata.WrittenCount);
        w.Write(rdata.WrittenSpan);
    }

    private static void WriteName(ArrayBufferWriter<byte> w, string name)
    {
        if (name.Length > MaxNameLength) throw new ArgumentException($"DNS name longer than {MaxNameLength}: {name}", nameof(name));
        foreach (var label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            int n = Encoding.UTF8.GetByteCount(label);
            if (n > 63) throw new ArgumentException($"DNS label longer than 63 bytes: {label}", nameof(name));
            w.Write([(byte)n]);
            w.Write(Encoding.UTF8.GetBytes(label));
        }

        w.Write([(byte)0]);
    }

    private static void WriteUInt16(ArrayBufferWriter<byte> w, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        w.Write(b);
    }
}

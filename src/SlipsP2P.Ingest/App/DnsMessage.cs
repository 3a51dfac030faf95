using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.App;

/// <summary>
/// A parsed DNS message (RFC 1035 section 4): the first question and the answer section.
/// <code>
/// | id 2 | flags 2 (QR opcode AA TC RD RA Z rcode) | qdcount 2 | ancount 2 | nscount 2 | arcount 2 |
/// question: name | qtype 2 | qclass 2
/// answer:   name | type 2 | class 2 | ttl 4 | rdlength 2 | rdata
/// </code>
/// Names may use compression pointers (section 4.1.4); pointers must go strictly backwards and at most
/// <see cref="MaxPointerJumps"/> are followed, so a pointer loop ends as <see cref="OperationStatus.InvalidData"/>.
/// </summary>
public sealed class DnsMessage
{
    /// <summary>Most compression pointers followed in one name.</summary>
    public const int MaxPointerJumps = 32;
    /// <summary>Most answers kept.</summary>
    public const int MaxAnswers = 32;
    /// <summary>Longest name in presentation form (RFC 1035: 255 octets on the wire).</summary>
    public const int MaxNameLength = 255;

    public ushort Id { get; private init; }
    public bool IsResponse { get; private init; }
    public int Opcode { get; private init; }
    public int ResponseCode { get; private init; }
    public string Query { get; private init; } = "";
    public ushort QueryType { get; private init; }
    public ushort QueryClass { get; private init; }
    public IReadOnlyList<string> Answers { get; private init; } = Array.Empty<string>();
    public IReadOnlyList<double> Ttls { get; private init; } = Array.Empty<double>();

    /// <summary>Parses a DNS message. <see cref="OperationStatus.NeedMoreData"/> when it is cut short, InvalidData when malformed.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out DnsMessage? message, out int bytesConsumed)
    {
        message = null;
        bytesConsumed = 0;
        Span<char> name = stackalloc char[MaxNameLength + 1];
        OperationStatus s = TryReadHeader(source, name, out Header h, out int nameLength, out int offset);
        if (s != OperationStatus.Done) return s;
        s = TryReadAnswers(source, ref offset, h.AnswerCount, name, out IReadOnlyList<string>? answers, out double[]? ttls);
        if (s != OperationStatus.Done) return s;
        bytesConsumed = offset;
        message = new DnsMessage
        {
            Id = h.Id,
            IsResponse = h.IsResponse,
            Opcode = h.Opcode,
            ResponseCode = h.ResponseCode,
            Query = h.HasQuestion ? SharedText.Get(name[..nameLength]) : "",
            QueryType = h.QueryType,
            QueryClass = h.QueryClass,
            Answers = answers ?? Array.Empty<string>(),
            Ttls = (IReadOnlyList<double>?)ttls ?? Array.Empty<double>(),
        };
        return OperationStatus.Done;
    }

    /// <summary>The fixed header and the first question of a message, read without allocating.</summary>
    internal readonly record struct Header(ushort Id, ushort Flags, int AnswerCount, bool HasQuestion, ushort QueryType, ushort QueryClass)
    {
        public bool IsResponse => (Flags & 0x8000) != 0;
        public int Opcode => (Flags >> 11) & 0xF;
        public int ResponseCode => Flags & 0xF;
    }

    /// <summary>
    /// Reads the header and the questions (the first one's name into <paramref name="name"/>, at least
    /// <see cref="MaxNameLength"/> + 1 characters); <paramref name="offset"/> ends at the answer section.
    /// </summary>
    internal static OperationStatus TryReadHeader(ReadOnlySpan<byte> source, Span<char> name, out Header header, out int nameLength, out int offset)
    {
        header = default;
        nameLength = 0;
        offset = 12;
        if (source.Length < 12) return OperationStatus.NeedMoreData;
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(source);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(source[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(source[6..]);
        ushort qtype = 0;
        ushort qclass = 0;
        if (qd > 0)
        {
            OperationStatus s = ReadName(source, ref offset, name, out nameLength);
            if (s != OperationStatus.Done) return s;
            if (source.Length < offset + 4) return OperationStatus.NeedMoreData;
            qtype = BinaryPrimitives.ReadUInt16BigEndian(source[offset..]);
            qclass = BinaryPrimitives.ReadUInt16BigEndian(source[(offset + 2)..]);
            offset += 4;
            // Further questions are rare (and unsupported by most servers): skip them.
            Span<char> skipped = qd > 1 ? stackalloc char[MaxNameLength + 1] : default;
            for (int i = 1; i < qd; i++)
            {
                s = ReadName(source, ref offset, skipped, out _);
                if (s != OperationStatus.Done) return s;
                offset += 4;
                if (offset > source.Length) return OperationStatus.NeedMoreData;
            }
        }

        header = new Header(id, flags, an, qd > 0, qtype, qclass);
        return OperationStatus.Done;
    }

    /// <summary>
    /// Reads <paramref name="count"/> answer records from <paramref name="offset"/>: the first <see cref="MaxAnswers"/>
    /// that have a text, in lists of exactly their number (null when there is none). When they are all addresses (A,
    /// AAAA) the list is an <see cref="AddressAnswers"/>, whose texts are made only if read.
    /// <paramref name="scratch"/> holds names while they are read (at least <see cref="MaxNameLength"/> + 1).
    /// </summary>
    internal static OperationStatus TryReadAnswers(ReadOnlySpan<byte> source, ref int offset, int count, Span<char> scratch, out IReadOnlyList<string>? answers, out double[]? ttls,
                                                   bool keepTtls = true)
    {
        answers = null;
        ttls = null;
        if (count == 0) return OperationStatus.Done;
        string?[] texts = t_answers ??= new string?[MaxAnswers];
        Span<uint> ttlValues = stackalloc uint[MaxAnswers];
        Span<IpAddr> addresses = stackalloc IpAddr[MaxAnswers];
        ulong isAddress = 0;
        int n = 0;
        try
        {
            for (int i = 0; i < count; i++)
            {
                OperationStatus s = ReadName(source, ref offset, scratch, out _);
                if (s != OperationStatus.Done) return s;
                if (source.Length < offset + 10) return OperationStatus.NeedMoreData;
                ushort type = BinaryPrimitives.ReadUInt16BigEndian(source[offset..]);
                uint ttl = BinaryPrimitives.ReadUInt32BigEndian(source[(offset + 4)..]);
                int rdLength = BinaryPrimitives.ReadUInt16BigEndian(source[(offset + 8)..]);
                offset += 10;
                if (source.Length < offset + rdLength) return OperationStatus.NeedMoreData;
                ReadOnlySpan<byte> rdata = source.Slice(offset, rdLength);
                bool kept = n < MaxAnswers;
                bool answered = true;
                switch (type)
                {
                    case 1 when rdLength == 4:
                        if (kept)
                        {
                            addresses[n] = IpAddr.FromV4(rdata);
                            isAddress |= 1UL << n;
                        }

                        break;
                    case 28 when rdLength == 16:
                        if (kept)
                        {
                            addresses[n] = IpAddr.FromV6(rdata);
                            isAddress |= 1UL << n;
                        }

                        break;
                    case 5 or 12 or 2: // CNAME, PTR, NS
                        {
                            int o = offset;
                            s = ReadName(source, ref o, scratch, out int length);
                            if (s != OperationStatus.Done) return OperationStatus.InvalidData;
                            if (kept) texts[n] = SharedText.Get(scratch[..length]);
                            break;
                        }

                    case 15 when rdLength >= 3: // MX: preference, exchange
                        {
                            int o = offset + 2;
                            s = ReadName(source, ref o, scratch, out int length);
                            if (s != OperationStatus.Done) return OperationStatus.InvalidData;
                            if (kept) texts[n] = SharedText.Get(scratch[..length]);
                            break;
                        }

                    case 16: // TXT: one or more length-prefixed strings
                        if (kept) texts[n] = ReadTxt(rdata);
                        break;
                    default:
                        answered = false;
                        break;
                }

                offset += rdLength;
                if (answered && kept)
                {
                    ttlValues[n] = ttl;
                    n++;
                }
            }

            if (n == 0) return OperationStatus.Done;
            if (keepTtls)
            {
                ttls = new double[n];
                for (int i = 0; i < n; i++) ttls[i] = ttlValues[i];
            }

            if (isAddress == (1UL << n) - 1) // n <= MaxAnswers (32)
            {
                answers = new AddressAnswers(addresses[..n].ToArray());
                return OperationStatus.Done;
            }

            var list = new string[n];
            for (int i = 0; i < n; i++) list[i] = (isAddress & (1UL << i)) != 0 ? addresses[i].ToString() : texts[i]!;
            answers = list;
            return OperationStatus.Done;
        }
        finally
        {
            texts.AsSpan(0, n).Clear();
        }
    }

    [ThreadStatic]
    private static string?[]? t_answers;

    /// <summary>Reads a possibly compressed name at <paramref name="offset"/> (advanced past its wire form) into <paramref name="destination"/>.</summary>
    internal static OperationStatus ReadName(ReadOnlySpan<byte> message, ref int offset, Span<char> destination, out int length)
    {
        length = 0;
        int position = offset;
        int jumps = 0;
        bool jumped = false;
        while (true)
        {
            if (position >= message.Length) return OperationStatus.NeedMoreData;
            byte b = message[position];
            if (b == 0)
            {
                if (!jumped) offset = position + 1;
                return OperationStatus.Done;
            }

            switch (b & 0xC0)
            {
                case 0xC0:
                    {
                        if (position + 1 >= message.Length) return OperationStatus.NeedMoreData;
                        int target = ((b & 0x3F) << 8) | message[position + 1];
                        // Pointers must point backwards (to an earlier occurrence), which rules out loops.
                        if (target >= position || ++jumps > MaxPointerJumps) return OperationStatus.InvalidData;
                        if (!jumped) offset = position + 2;
                        jumped = true;
                        position = target;
                        continue;
                    }

                case 0x00:
                    {
                        int labelLength = b;
                        if (position + 1 + labelLength > message.Length) return OperationStatus.NeedMoreData;
                        int needed = (length > 0 ? 1 : 0) + labelLength;
                        if (length + needed > MaxNameLength) return OperationStatus.InvalidData;
                        if (length > 0) destination[length++] = '.';
                        ReadOnlySpan<byte> label = message.Slice(position + 1, labelLength);
                        for (int i = 0; i < label.Length; i++)
                        {
                            byte c = label[i];
                            destination[length++] = c is >= 0x21 and < 0x7F ? (char)c : '?';
                        }

                        position += 1 + labelLength;
                        continue;
                    }

                default:
                    return OperationStatus.InvalidData; // 0x40 and 0x80 label types are obsolete or reserved
            }
        }
    }

    private static string ReadTxt(ReadOnlySpan<byte> rdata)
    {
        var sb = new StringBuilder();
        int o = 0;
        while (o < rdata.Length)
        {
            int n = rdata[o];
            int end = Math.Min(rdata.Length, o + 1 + n);
            if (sb.Length > 0) sb.Append(' ');
            for (int i = o + 1; i < end; i++)
            {
                byte c = rdata[i];
                sb.Append(c is >= 0x20 and < 0x7F ? (char)c : '?');
            }

            o = end;
        }

        return sb.ToString();
    }

    /// <summary>Zeek's qtype_name for the common types, else the number.</summary>
    public static string TypeName(ushort type) => type switch
    {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        255 => "*",
        _ => type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Zeek's rcode_name.</summary>
    public static string ResponseCodeName(int code) => code switch
    {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

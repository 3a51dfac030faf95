using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SlipsP2P.Ingest.App;

/// <summary>
/// A TLS ClientHello or ServerHello (RFC 8446 section 4.1.2/4.1.3, RFC 5246 section 7.4.1) with what JA3/JA3S need.
/// <code>
/// record:    | type 1 (22) | version 2 | length 2 | fragment |
/// handshake: | msg_type 1 (1 client, 2 server) | length 3 | body |
/// client:    | version 2 | random 32 | session_id 1+n | cipher_suites 2+n | compression 1+n | extensions 2+n |
/// server:    | version 2 | random 32 | session_id 1+n | cipher_suite 2    | compression 1   | extensions 2+n |
/// extension: | type 2 | length 2 | data |   SNI = 0, supported_groups = 10, ec_point_formats = 11, supported_versions = 43
/// </code>
/// JA3 (https://github.com/salesforce/ja3): md5 of "version,ciphers,extensions,groups,point_formats" with values in
/// decimal joined by '-', GREASE values (RFC 8701: 0x?a?a with equal bytes) removed. JA3S: "version,cipher,extensions".
/// </summary>
public sealed class TlsHello
{
    /// <summary>Most list entries read from any one list.</summary>
    private const int MaxListEntries = 512;

    public bool IsClientHello { get; private init; }
    /// <summary>The legacy version field of the hello (771 = TLS 1.2).</summary>
    public ushort Version { get; private init; }
    /// <summary>The highest version in supported_versions (TLS 1.3 negotiation), or 0.</summary>
    public ushort SupportedVersion { get; private init; }
    public string ServerName { get; private init; } = "";
    /// <summary>The JA3 (client) or JA3S (server) string before hashing.</summary>
    public string FingerprintText { get; private init; } = "";

    /// <summary>Distinct fingerprints whose digest is remembered (a network has few distinct hellos).</summary>
    public const int MaxCachedFingerprints = 4096;

    // The MD5 of every TLS flow's JA3/JA3S was a fifth of a capture analysis (dotnet-trace on the generated capture);
    // the same few fingerprint texts repeat, so their digests are shared. Thread-safe: workers share it.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> s_digests = new(StringComparer.Ordinal);

    /// <summary>md5 hex of <see cref="FingerprintText"/>.</summary>
    /// <remarks>
    /// A by-reference table in front of the dictionary was tried and taken out: RuntimeHelpers.GetHashCode on a
    /// string not hashed before takes the runtime's slow path, 4% of a capture's wall samples (dotnet-trace).
    /// </remarks>
    public string Fingerprint
    {
        get
        {
            if (s_digests.TryGetValue(FingerprintText, out string? digest)) return digest;
            digest = Digest(FingerprintText);
            if (s_digests.Count < MaxCachedFingerprints) s_digests.TryAdd(FingerprintText, digest);
            return digest;
        }
    }

#pragma warning disable CA5351 // JA3 is defined as an MD5 digest; it is a fingerprint, not a security control.
    private static string Digest(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(text)));
#pragma warning restore CA5351

    /// <summary>The negotiated or offered version as Zeek names it (TLSv12, TLSv13 ...).</summary>
    public string VersionName => VersionText(SupportedVersion != 0 ? SupportedVersion : Version);

    /// <summary>True for GREASE values (RFC 8701).</summary>
    public static bool IsGrease(ushort v) => (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF);

    /// <summary>Zeek's version names.</summary>
    public static string VersionText(ushort v) => v switch
    {
        0x0300 => "SSLv3",
        0x0301 => "TLSv10",
        0x0302 => "TLSv11",
        0x0303 => "TLSv12",
        0x0304 => "TLSv13",
        0x0002 => "SSLv2",
        _ => "unknown-" + v.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// Parses the first handshake message of a TLS stream that starts at <paramref name="source"/>[0]. NeedMoreData
    /// when the hello is not complete yet; InvalidData when it is not a ClientHello/ServerHello.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out TlsHello? hello, out int bytesConsumed)
    {
        hello = null;
        bytesConsumed = 0;
        if (source.Length < 5) return OperationStatus.NeedMoreData;
        if (source[0] != 22 || source[1] != 3) return OperationStatus.InvalidData;
        int recordLength = BinaryPrimitives.ReadUInt16BigEndian(source[3..]);
        if (recordLength < 4 || recordLength > 16384 + 2048) return OperationStatus.InvalidData;
        if (source.Length < 5 + 4) return OperationStatus.NeedMoreData;
        byte msgType = source[5];
        if (msgType is not (1 or 2)) return OperationStatus.InvalidData;
        int msgLength = (source[6] << 16) | (source[7] << 8) | source[8];
        if (msgLength > 65536) return OperationStatus.InvalidData;
        // The hello must lie in the first record (a hello split over records is not read).
        if (msgLength + 4 > recordLength) return OperationStatus.InvalidData;
        if (source.Length < 9 + msgLength) return OperationStatus.NeedMoreData;
        ReadOnlySpan<byte> body = source.Slice(9, msgLength);
        // The record may be cut short after the hello (a truncated capture): never claim bytes that are not there.
        bytesConsumed = source.Length >= 5 + recordLength ? 5 + recordLength : 9 + msgLength;
        return msgType == 1 ? ReadClient(body, out hello) : ReadServer(body, out hello);
    }

    private static OperationStatus ReadClient(ReadOnlySpan<byte> b, out TlsHello? hello)
    {
        hello = null;
        var r = new Cursor(b);
        if (!r.U16(out ushort version) || !r.Skip(32) || !r.U8(out byte sidLength) || !r.Skip(sidLength)) return OperationStatus.InvalidData;
        if (!r.U16(out ushort cipherBytes) || !r.Slice(cipherBytes, out ReadOnlySpan<byte> ciphers)) return OperationStatus.InvalidData;
        if (!r.U8(out byte compLength) || !r.Skip(compLength)) return OperationStatus.InvalidData;
        var sb = new TextBuilder(stackalloc char[TextBuilder.StackSize]);
        sb.Append(version);
        sb.Append(',');
        AppendList16(ref sb, ciphers);
        sb.Append(',');
        string sni = "";
        ushort supported = 0;
        ReadOnlySpan<byte> groups = default;
        ReadOnlySpan<byte> formats = default;
        if (r.Remaining >= 2)
        {
            if (!r.U16(out ushort extBytes) || !r.Slice(extBytes, out ReadOnlySpan<byte> exts)) return OperationStatus.InvalidData;
            var e = new Cursor(exts);
            bool first = true;
            int count = 0;
            while (e.Remaining >= 4 && count++ < MaxListEntries)
            {
                if (!e.U16(out ushort type) || !e.U16(out ushort len) || !e.Slice(len, out ReadOnlySpan<byte> data)) return OperationStatus.InvalidData;
                if (!IsGrease(type))
                {
                    if (!first) sb.Append('-');
                    sb.Append(type);
                    first = false;
                }

                switch (type)
                {
                    case 0:
                        sni = ReadServerName(data);
                        break;
                    case 10 when data.Length >= 2:
                        groups = data.Slice(2, Math.Min(data.Length - 2, BinaryPrimitives.ReadUInt16BigEndian(data)));
                        break;
                    case 11 when data.Length >= 1:
                        formats = data.Slice(1, Math.Min(data.Length - 1, data[0]));
                        break;
                    case 43 when data.Length >= 1:
                        {
                            ReadOnlySpan<byte> list = data.Slice(1, Math.Min(data.Length - 1, data[0]));
                            for (int i = 0; i + 1 < list.Length; i += 2)
                            {
                                ushort v = BinaryPrimitives.ReadUInt16BigEndian(list[i..]);
                                if (!IsGrease(v) && v > supported) supported = v;
                            }

                            break;
                        }
                }
            }
        }

        sb.Append(',');
        AppendList16(ref sb, groups);
        sb.Append(',');
        for (int i = 0; i < formats.Length && i < MaxListEntries; i++)
        {
            if (i > 0) sb.Append('-');
            sb.Append(formats[i]);
        }

        hello = new TlsHello { IsClientHello = true, Version = version, SupportedVersion = supported, ServerName = sni, FingerprintText = sb.ToSharedString() };
        return OperationStatus.Done;
    }

    private static OperationStatus ReadServer(ReadOnlySpan<byte> b, out TlsHello? hello)
    {
        hello = null;
        var r = new Cursor(b);
        if (!r.U16(out ushort version) || !r.Skip(32) || !r.U8(out byte sidLength) || !r.Skip(sidLength)) return OperationStatus.InvalidData;
        if (!r.U16(out ushort cipher) || !r.U8(out _)) return OperationStatus.InvalidData;
        var sb = new TextBuilder(stackalloc char[TextBuilder.StackSize]);
        sb.Append(version);
        sb.Append(',');
        sb.Append(cipher);
        sb.Append(',');
        ushort supported = 0;
        if (r.Remaining >= 2)
        {
            if (!r.U16(out ushort extBytes) || !r.Slice(extBytes, out ReadOnlySpan<byte> exts)) return OperationStatus.InvalidData;
            var e = new Cursor(exts);
            bool first = true;
            int count = 0;
            while (e.Remaining >= 4 && count++ < MaxListEntries)
            {
                if (!e.U16(out ushort type) || !e.U16(out ushort len) || !e.Slice(len, out ReadOnlySpan<byte> data)) return OperationStatus.InvalidData;
                if (!first) sb.Append('-');
                sb.Append(type);
                first = false;
                if (type == 43 && data.Length >= 2) supported = BinaryPrimitives.ReadUInt16BigEndian(data);
            }
        }

        hello = new TlsHello { IsClientHello = false, Version = version, SupportedVersion = supported, FingerprintText = sb.ToSharedString() };
        return OperationStatus.Done;
    }

    private static string ReadServerName(ReadOnlySpan<byte> data)
    {
        // server_name_list: | length 2 | { name_type 1 | length 2 | name }* |
        if (data.Length < 2) return "";
        var c = new Cursor(data[2..]);
        while (c.Remaining >= 3)
        {
            if (!c.U8(out byte nameType) || !c.U16(out ushort len) || !c.Slice(len, out ReadOnlySpan<byte> name)) return "";
            if (nameType == 0 && name.Length <= 255) return SharedText.Printable(name, 0x21, 255);
        }

        return "";
    }

    private static void AppendList16(ref TextBuilder sb, ReadOnlySpan<byte> list)
    {
        bool first = true;
        for (int i = 0; i + 1 < list.Length && i / 2 < MaxListEntries; i += 2)
        {
            ushort v = BinaryPrimitives.ReadUInt16BigEndian(list[i..]);
            if (IsGrease(v)) continue;
            if (!first) sb.Append('-');
            sb.Append(v);
            first = false;
        }
    }

    /// <summary>
    /// The JA3/JA3S text built on the stack (a pooled array past <see cref="StackSize"/> characters) and handed out
    /// through <see cref="SharedText"/>: a network has few distinct hellos, so most hellos allocate no text at all.
    /// </summary>
    private ref struct TextBuilder
    {
        public const int StackSize = 256;
        private Span<char> _chars;
        private char[]? _rented;
        private int _length;

        public TextBuilder(Span<char> initial) => _chars = initial;

        public void Append(char c)
        {
            if (_length == _chars.Length) Grow(1);
            _chars[_length++] = c;
        }

        public void Append(int value)
        {
            int written;
            while (!value.TryFormat(_chars[_length..], out written, default, CultureInfo.InvariantCulture)) Grow(11);
            _length += written;
        }

        public string ToSharedString()
        {
            string text = SharedText.Get(_chars[.._length]);
            if (_rented is not null) ArrayPool<char>.Shared.Return(_rented);
            _rented = null;
            return text;
        }

        private void Grow(int more)
        {
            char[] bigger = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + more));
            _chars[.._length].CopyTo(bigger);
            if (_rented is not null) ArrayPool<char>.Shared.Return(_rented);
            _rented = bigger;
            _chars = bigger;
        }
    }

    private ref struct Cursor
    {
        private ReadOnlySpan<byte> _rest;

        public Cursor(ReadOnlySpan<byte> data) => _rest = data;

        public readonly int Remaining => _rest.Length;

        public bool U8(out byte v)
        {
            v = 0;
            if (_rest.Length < 1) return false;
            v = _rest[0];
            _rest = _rest[1..];
            return true;
        }

        public bool U16(out ushort v)
        {
            v = 0;
            if (_rest.Length < 2) return false;
            v = BinaryPrimitives.ReadUInt16BigEndian(_rest);
            _rest = _rest[2..];
            return true;
        }

        public bool Skip(int n)
        {
            if (_rest.Length < n) return false;
            _rest = _rest[n..];
            return true;
        }

        public bool Slice(int n, out ReadOnlySpan<byte> s)
        {
            s = default;
            if (_rest.Length < n) return false;
            s = _rest[..n];
            _rest = _rest[n..];
            return true;
        }
    }
}

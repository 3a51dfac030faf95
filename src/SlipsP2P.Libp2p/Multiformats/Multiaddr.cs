// Multiaddr: https://github.com/multiformats/multiaddr
//
//   text:   ( "/" name [ "/" value ] )+                 e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...
//   binary: ( uvarint(code) [ uvarint(len) ] value )+   e.g. 04 7f000001 06 0fa1
using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Multiformats;

/// <summary>One component of a multiaddr: a protocol and its binary value.</summary>
public readonly record struct MultiaddrComponent(MultiaddrProtocol Protocol, ReadOnlyMemory<byte> Value)
{
    /// <summary>The value in text form ("127.0.0.1", "4001", a peer id...), or empty for valueless protocols.</summary>
    public string ValueText => Multiaddr.FormatValue(Protocol, Value.Span);
}

/// <summary>An immutable multiaddr (binary and text forms for ip4/ip6/tcp/udp/dns*/p2p and valueless transports).</summary>
public sealed class Multiaddr : IEquatable<Multiaddr>
{
    /// <summary>The longest binary multiaddr accepted when decoding.</summary>
    public const int MaxLength = 1024;

    private readonly byte[] _bytes;
    private readonly MultiaddrComponent[] _components;
    private string? _text;

    private Multiaddr(byte[] bytes, MultiaddrComponent[] components)
    {
        _bytes = bytes;
        _components = components;
    }

    /// <summary>The binary form.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>A copy of the binary form.</summary>
    public byte[] ToByteArray() => (byte[])_bytes.Clone();

    /// <summary>The components, outermost first.</summary>
    public IReadOnlyList<MultiaddrComponent> Components => _components;

    /// <summary>The peer id of the last /p2p component, if any.</summary>
    public PeerId? PeerId
    {
        get
        {
            for (int i = _components.Length - 1; i >= 0; i--)
            {
                if (_components[i].Protocol == MultiaddrProtocol.P2p) return Crypto.PeerId.FromBytes(_components[i].Value.Span);
            }

            return null;
        }
    }

    /// <summary>Decodes a binary multiaddr (the whole span). Unknown protocol codes are invalid.</summary>
    public static OperationStatus TryDecode(ReadOnlySpan<byte> source, out Multiaddr? multiaddr)
    {
        multiaddr = null;
        if (source.IsEmpty || source.Length > MaxLength) return OperationStatus.InvalidData;
        var comps = new List<MultiaddrComponent>(4);
        var copy = source.ToArray();
        int pos = 0;
        while (pos < copy.Length)
        {
            if (Varint.TryRead(copy.AsSpan(pos), out ulong code, out int n) != OperationStatus.Done) return OperationStatus.InvalidData;
            pos += n;
            var proto = MultiaddrProtocol.FromCode(code);
            if (proto is null) return OperationStatus.InvalidData;
            int size = proto.Size;
            if (size == MultiaddrProtocol.VariableSize)
            {
                if (Varint.TryRead(copy.AsSpan(pos), out ulong len, out int ln) != OperationStatus.Done) return OperationStatus.InvalidData;
                pos += ln;
                if (len > (ulong)(copy.Length - pos)) return OperationStatus.InvalidData;
                size = (int)len;
            }

            if (copy.Length - pos < size) return OperationStatus.InvalidData;
            var value = copy.AsMemory(pos, size);
            if (!IsValidValue(proto, value.Span)) return OperationStatus.InvalidData;
            comps.Add(new MultiaddrComponent(proto, value));
            pos += size;
        }

        multiaddr = new Multiaddr(copy, [.. comps]);
        return OperationStatus.Done;
    }

    /// <summary>Decodes a binary multiaddr, throwing <see cref="FormatException"/> when it is invalid.</summary>
    public static Multiaddr Decode(ReadOnlySpan<byte> source)
        => TryDecode(source, out var ma) == OperationStatus.Done ? ma! : throw new FormatException("invalid binary multiaddr");

    /// <summary>Parses the text form. On failure <paramref name="error"/> says which component is wrong.</summary>
    public static bool TryParse(string text, out Multiaddr? multiaddr, out string? error)
    {
        multiaddr = null;
        error = null;
        if (string.IsNullOrEmpty(text) || text[0] != '/')
        {
            error = "a multiaddr starts with '/'";
            return false;
        }

        if (text.Length > 4 * MaxLength)
        {
            error = "multiaddr text too long";
            return false;
        }

        var parts = text.TrimEnd('/').Split('/');
        var buffer = new ArrayBufferWriter<byte>(64);
        for (int i = 1; i < parts.Length; i++)
        {
            var proto = MultiaddrProtocol.FromName(parts[i]);
            if (proto is null)
            {
                error = $"unknown protocol '{parts[i]}'";
                return false;
            }

            Varint.Write((ulong)proto.Code, buffer);
            if (proto.Size == 0) continue;
            if (++i >= parts.Length)
            {
                error = $"protocol '{proto.Name}' needs a value";
                return false;
            }

            if (!TryParseValue(proto, parts[i], out byte[] value))
            {
                error = $"invalid {proto.Name} value '{parts[i]}'";
                return false;
            }

            if (proto.Size == MultiaddrProtocol.VariableSize) Varint.Write((ulong)value.Length, buffer);
            buffer.Write(value);
        }

        if (TryDecode(buffer.WrittenSpan, out multiaddr) != OperationStatus.Done)
        {
            error = "invalid multiaddr";
            return false;
        }

        return true;
    }

    /// <summary>Parses the text form, throwing <see cref="FormatException"/> that names the bad component.</summary>
    public static Multiaddr Parse(string text)
        => TryParse(text, out var ma, out string? error) ? ma! : throw new FormatException($"'{text}': {error}");

    /// <summary>/ip4|ip6/&lt;address&gt;/tcp/&lt;port&gt; for an IP end point.</summary>
    public static Multiaddr FromTcpEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var buffer = new ArrayBufferWriter<byte>(32);
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        Varint.Write((ulong)(v4 ? MultiaddrProtocol.Ip4 : MultiaddrProtocol.Ip6).Code, buffer);
        buffer.Write(address.GetAddressBytes());
        Varint.Write((ulong)MultiaddrProtocol.Tcp.Code, buffer);
        Span<byte> port = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(port, (ushort)endPoint.Port);
        buffer.Write(port);
        return Decode(buffer.WrittenSpan);
    }

    /// <summary>This address with /p2p/&lt;peerId&gt; appended (replacing an existing trailing /p2p).</summary>
    public Multiaddr WithPeerId(PeerId peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        var baseAddr = WithoutPeerId();
        var buffer = new ArrayBufferWriter<byte>(baseAddr._bytes.Length + peerId.Bytes.Length + 4);
        buffer.Write(baseAddr._bytes);
        Varint.Write((ulong)MultiaddrProtocol.P2p.Code, buffer);
        Varint.Write((ulong)peerId.Bytes.Length, buffer);
        buffer.Write(peerId.Bytes);
        return Decode(buffer.WrittenSpan);
    }

    /// <summary>This address without a trailing /p2p component (identify's listenAddrs never carry it).</summary>
    public Multiaddr WithoutPeerId()
    {
        if (_components.Length == 0 || _components[^1].Protocol != MultiaddrProtocol.P2p) return this;
        var buffer = new ArrayBufferWriter<byte>(_bytes.Length);
        for (int i = 0; i < _components.Length - 1; i++) WriteComponent(buffer, _components[i]);
        return buffer.WrittenCount == 0 ? this : Decode(buffer.WrittenSpan);
    }

    /// <summary>
    /// For /ip4|ip6|dns|dns4|dns6/&lt;host&gt;/tcp/&lt;port&gt;[/p2p/…]: the host (an IP literal or DNS name) and port.
    /// </summary>
    public bool TryGetTcpTarget(out string host, out int port, out IPAddress? address)
    {
        host = string.Empty;
        port = 0;
        address = null;
        if (_components.Length < 2 || _components[1].Protocol != MultiaddrProtocol.Tcp) return false;
        var first = _components[0];
        if (first.Protocol == MultiaddrProtocol.Ip4 || first.Protocol == MultiaddrProtocol.Ip6)
        {
            address = new IPAddress(first.Value.Span);
            host = address.ToString();
        }
        else if (first.Protocol == MultiaddrProtocol.Dns || first.Protocol == MultiaddrProtocol.Dns4 || first.Protocol == MultiaddrProtocol.Dns6)
        {
            host = Encoding.UTF8.GetString(first.Value.Span);
        }
        else
        {
            return false;
        }

        port = BinaryPrimitives.ReadUInt16BigEndian(_components[1].Value.Span);
        for (int i = 2; i < _components.Length; i++)
        {
            if (_components[i].Protocol != MultiaddrProtocol.P2p) return false;
        }

        return true;
    }

    /// <summary>The text form.</summary>
    public override string ToString()
    {
        if (_text is not null) return _text;
        var sb = new StringBuilder(64);
        foreach (var c in _components)
        {
            sb.Append('/').Append(c.Protocol.Name);
            if (c.Protocol.Size != 0) sb.Append('/').Append(FormatValue(c.Protocol, c.Value.Span));
        }

        return _text = sb.ToString();
    }

    /// <inheritdoc/>
    public bool Equals(Multiaddr? other) => other is not null && other._bytes.AsSpan().SequenceEqual(_bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Multiaddr);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hc = new HashCode();
        hc.AddBytes(_bytes);
        return hc.ToHashCode();
    }

    internal static string FormatValue(MultiaddrProtocol proto, ReadOnlySpan<byte> value)
    {
        if (proto == MultiaddrProtocol.Ip4 || proto == MultiaddrProtocol.Ip6) return new IPAddress(value).ToString();
        if (proto == MultiaddrProtocol.Tcp || proto == MultiaddrProtocol.Udp)
        {
            return BinaryPrimitives.ReadUInt16BigEndian(value).ToString(CultureInfo.InvariantCulture);
        }

        if (proto == MultiaddrProtocol.P2p) return Crypto.PeerId.FromBytes(value).ToString();
        if (proto.Size == 0) return string.Empty;
        return Encoding.UTF8.GetString(value);
    }

    private static bool IsValidValue(MultiaddrProtocol proto, ReadOnlySpan<byte> value)
    {
        if (proto == MultiaddrProtocol.P2p) return Crypto.PeerId.TryFromBytes(value, out _);
        if (proto.Size == MultiaddrProtocol.VariableSize)
        {
            // Names must be non-empty UTF-8 without '/', or the text form could not round-trip.
            if (value.IsEmpty || value.IndexOf((byte)'/') >= 0) return false;
            try
            {
                _ = new UTF8Encoding(false, true).GetCharCount(value);
            }
            catch (DecoderFallbackException)
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParseValue(MultiaddrProtocol proto, string text, out byte[] value)
    {
        value = [];
        if (proto == MultiaddrProtocol.Ip4)
        {
            if (!IPAddress.TryParse(text, out var a) || a.AddressFamily != AddressFamily.InterNetwork || text.AsSpan().Count('.') != 3) return false;
            value = a.GetAddressBytes();
            return true;
        }

        if (proto == MultiaddrProtocol.Ip6)
        {
            if (!IPAddress.TryParse(text, out var a) || a.AddressFamily != AddressFamily.InterNetworkV6 || a.ScopeId != 0) return false;
            value = a.GetAddressBytes();
            return true;
        }

        if (proto == MultiaddrProtocol.Tcp || proto == MultiaddrProtocol.Udp)
        {
            if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port)) return false;
            value = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(value, port);
            return true;
        }

        if (proto == MultiaddrProtocol.P2p)
        {
            if (!Crypto.PeerId.TryParse(text, out var id)) return false;
            value = id!.ToByteArray();
            return true;
        }

        if (text.Length == 0) return false;
        value = Encoding.UTF8.GetBytes(text);
        return true;
    }

    private static void WriteComponent(ArrayBufferWriter<byte> buffer, MultiaddrComponent c)
    {
        Varint.Write((ulong)c.Protocol.Code, buffer);
        if (c.Protocol.Size == MultiaddrProtocol.VariableSize) Varint.Write((ulong)c.Value.Length, buffer);
        buffer.Write(c.Value.Span);
    }
}

using System.Text;

namespace SlipsP2P.Libp2p.Protobuf;

/// <summary>
/// One decoded field, in wire order. A length-delimited field of length zero is still a field: presence is kept
/// (libp2p verifiers re-encode what they decoded, so "present but empty" must survive a round trip).
/// </summary>
public readonly ref struct ProtoField
{
    /// <summary>Creates a field value.</summary>
    public ProtoField(int number, ProtoWireType wireType, ulong scalar, ReadOnlySpan<byte> bytes)
    {
        Number = number;
        WireType = wireType;
        Scalar = scalar;
        Bytes = bytes;
    }

    /// <summary>The field number.</summary>
    public int Number { get; }

    /// <summary>The wire type.</summary>
    public ProtoWireType WireType { get; }

    /// <summary>The value of a varint, fixed32 or fixed64 field.</summary>
    public ulong Scalar { get; }

    /// <summary>The payload of a length-delimited field (a slice of the input, not a copy).</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The varint value as a bool (any non-zero value is true).</summary>
    public bool AsBool => Scalar != 0;

    /// <summary>The varint as an int32 (protobuf truncation semantics).</summary>
    public int AsInt32 => unchecked((int)Scalar);

    /// <summary>The length-delimited payload decoded as UTF-8 (invalid sequences become U+FFFD).</summary>
    public string AsString() => Encoding.UTF8.GetString(Bytes);

    /// <summary>A copy of the length-delimited payload.</summary>
    public byte[] ToArray() => Bytes.ToArray();
}

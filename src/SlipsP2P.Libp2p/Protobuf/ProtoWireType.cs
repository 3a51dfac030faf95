// Protocol buffers wire types: https://protobuf.dev/programming-guides/encoding/#structure
namespace SlipsP2P.Libp2p.Protobuf;

/// <summary>The protobuf wire type carried in the low three bits of a tag.</summary>
public enum ProtoWireType
{
    /// <summary>Base-128 varint (int32, int64, uint*, bool, enum).</summary>
    Varint = 0,

    /// <summary>8 little-endian bytes (fixed64, sfixed64, double).</summary>
    Fixed64 = 1,

    /// <summary>Varint length followed by that many bytes (string, bytes, messages, packed).</summary>
    LengthDelimited = 2,

    /// <summary>4 little-endian bytes (fixed32, sfixed32, float).</summary>
    Fixed32 = 5,
}

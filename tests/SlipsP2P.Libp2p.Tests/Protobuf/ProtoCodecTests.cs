using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Tests.Protobuf;

public class ProtoCodecTests
{
    [Fact]
    public void Writer_FieldsInCallOrder_EmptyBytesKept()
    {
        var w = new ProtoWriter(4);
        w.WriteBytes(1, [0xAA]);
        w.WriteBytes(2, []);
        w.WriteString(4, "t");
        w.WriteVarint(3, 300);

        Assert.Equal("0a01aa120022017418ac02".Replace(" ", "", StringComparison.Ordinal), Convert.ToHexStringLower(w.WrittenSpan));
    }

    [Fact]
    public void Reader_PresentButEmpty_Reported()
    {
        var r = new ProtoReader(Convert.FromHexString("0a01aa1200"));
        Assert.Equal(OperationStatus.Done, r.TryReadField(out var f1));
        Assert.Equal(1, f1.Number);
        Assert.Equal(OperationStatus.Done, r.TryReadField(out var f2));
        Assert.Equal(2, f2.Number);
        Assert.Equal(ProtoWireType.LengthDelimited, f2.WireType);
        Assert.True(f2.Bytes.IsEmpty);
        Assert.True(r.End);
        Assert.Equal(OperationStatus.NeedMoreData, r.TryReadField(out _));
    }

    [Fact]
    public void Nested_BeginEnd_MinimalLengthAndRoundTrip()
    {
        var w = new ProtoWriter(8);
        int outer = w.BeginMessage(3);
        int inner = w.BeginMessage(1);
        w.WriteString(1, new string('x', 200));
        w.EndMessage(inner);
        w.WriteBool(2, true);
        w.EndMessage(outer);

        // 200-byte string: inner = 0a c8 01 + 200 = 203 bytes; outer body = 0a cb 01 + 203 + 10 01 = 208.
        var bytes = w.ToArray();
        Assert.Equal("1ad001", Convert.ToHexStringLower(bytes.AsSpan(0, 3)));
        Assert.Equal(3 + 208, bytes.Length);

        var r = new ProtoReader(bytes);
        Assert.Equal(OperationStatus.Done, r.TryReadField(out var f));
        var r2 = new ProtoReader(f.Bytes);
        Assert.Equal(OperationStatus.Done, r2.TryReadField(out var g));
        Assert.Equal(203, g.Bytes.Length);
        Assert.Equal(OperationStatus.Done, r2.TryReadField(out var b));
        Assert.True(b.AsBool);
    }

    [Fact]
    public void Reader_AllWireTypes_Decoded()
    {
        var r = new ProtoReader(Convert.FromHexString("08ffffffffffffffffff01" + "110102030405060708" + "1d01020304"));
        Assert.Equal(OperationStatus.Done, r.TryReadField(out var a));
        Assert.Equal(ulong.MaxValue, a.Scalar);
        Assert.Equal(-1, a.AsInt32);
        Assert.Equal(OperationStatus.Done, r.TryReadField(out var b));
        Assert.Equal(0x0807060504030201UL, b.Scalar);
        Assert.Equal(OperationStatus.Done, r.TryReadField(out var c));
        Assert.Equal(0x04030201UL, c.Scalar);
        Assert.True(r.End);
    }

    [Theory]
    [InlineData("0a05aa")]
    [InlineData("0b")]
    [InlineData("00")]
    [InlineData("08")]
    [InlineData("0affffffffffffffffffff01")]
    [InlineData("1101")]
    public void Reader_Malformed_InvalidData(string hex)
    {
        var r = new ProtoReader(Convert.FromHexString(hex));
        Assert.Equal(OperationStatus.InvalidData, r.TryReadField(out _));
    }

    [Fact]
    public void Reader_EveryTruncation_NeverThrows()
    {
        var bytes = Convert.FromHexString("0a26002408011220d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4120568656c6c6f1a080000000000000001220d696e7465726f702d746f706963");
        for (int i = 0; i <= bytes.Length; i++)
        {
            var r = new ProtoReader(bytes.AsSpan(0, i));
            int fields = 0;
            while (!r.End && r.TryReadField(out _) == OperationStatus.Done) fields++;
            Assert.InRange(fields, 0, 4);
        }
    }

    [Fact]
    public void Writer_ReEncodingDecoded_IdenticalBytes()
    {
        // The pubsub signing path: decode, re-encode known fields, compare.
        var bytes = Convert.FromHexString("0a26002408011220d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac412001a080000000000000001220d696e7465726f702d746f706963");
        var r = new ProtoReader(bytes);
        var w = new ProtoWriter();
        while (!r.End)
        {
            Assert.Equal(OperationStatus.Done, r.TryReadField(out var f));
            if (f.Number == 4) w.WriteString(4, f.AsString());
            else w.WriteBytes(f.Number, f.Bytes);
        }

        Assert.Equal(bytes, w.ToArray());
    }
}

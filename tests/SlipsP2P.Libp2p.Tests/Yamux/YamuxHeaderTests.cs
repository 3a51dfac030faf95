using System.Buffers;
using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Tests.Yamux;

public class YamuxHeaderTests
{
    // The brief's frame table (js-observed frames).
    [Theory]
    [InlineData("000100010000000100000000", YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1u, 0u)]
    [InlineData("000100020000000100000000", YamuxFrameType.WindowUpdate, YamuxFlags.Ack, 1u, 0u)]
    [InlineData("000000000000000100000005", YamuxFrameType.Data, YamuxFlags.None, 1u, 5u)]
    [InlineData("000100040000000100000000", YamuxFrameType.WindowUpdate, YamuxFlags.Fin, 1u, 0u)]
    [InlineData("000200010000000000000000", YamuxFrameType.Ping, YamuxFlags.Syn, 0u, 0u)]
    [InlineData("000200020000000000000000", YamuxFrameType.Ping, YamuxFlags.Ack, 0u, 0u)]
    [InlineData("000300000000000000000000", YamuxFrameType.GoAway, YamuxFlags.None, 0u, 0u)]
    public void WriteAndRead_ReferenceFrames_RoundTrip(string hex, YamuxFrameType type, YamuxFlags flags, uint id, uint length)
    {
        var header = new YamuxHeader(type, flags, id, length);
        var buf = new byte[16];
        Array.Fill(buf, (byte)0xFF);
        Assert.Equal(12, header.Write(buf));
        Assert.Equal(hex, Convert.ToHexStringLower(buf, 0, 12));
        Assert.Equal(OperationStatus.Done, YamuxHeader.TryRead(buf, out var back, out int used));
        Assert.Equal(header, back);
        Assert.Equal(12, used);
    }

    [Fact]
    public void TryReadFrame_AllSegmentations_HeaderAndPayload()
    {
        var frame = Convert.FromHexString("000000000000000100000005" + "68656c6c6f");
        foreach (var (name, seq, guard) in Segments.Variants(frame))
        {
            var buffer = seq;
            Assert.True(YamuxHeader.TryReadFrame(ref buffer, 1024, out var h, out var payload) == OperationStatus.Done, name);
            Assert.Equal(5u, h.Length);
            Assert.Equal("hello"u8.ToArray(), payload.ToArray());
            Assert.Equal(guard, buffer.Length);
        }

        for (int i = 0; i < frame.Length; i++)
        {
            var partial = new ReadOnlySequence<byte>(frame, 0, i);
            Assert.Equal(OperationStatus.NeedMoreData, YamuxHeader.TryReadFrame(ref partial, 1024, out _, out _));
        }
    }

    [Theory]
    [InlineData("010000000000000100000000")]
    [InlineData("000400000000000100000000")]
    [InlineData("000000000000000100100000")] // data length 1 MiB > max payload
    public void TryReadFrame_BadVersionTypeOrLength_InvalidData(string hex)
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(hex));
        Assert.Equal(OperationStatus.InvalidData, YamuxHeader.TryReadFrame(ref buffer, 256 * 1024, out _, out _));
    }
}

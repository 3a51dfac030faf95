using System.Buffers;
using SlipsP2P.Libp2p.Protobuf;
using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Tests.Protobuf;

public class LengthPrefixedTests
{
    [Fact]
    public void TryReadMessage_AllSegmentations_MessageSliced()
    {
        var bytes = Convert.FromHexString("05" + "68656c6c6f");
        foreach (var (name, seq, guard) in Segments.Variants(bytes))
        {
            var buffer = seq;
            Assert.True(LengthPrefixed.TryReadMessage(ref buffer, 100, out var msg) == OperationStatus.Done, name);
            Assert.Equal("hello"u8.ToArray(), msg.ToArray());
            Assert.Equal(guard, buffer.Length);
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, i);
            Assert.Equal(OperationStatus.NeedMoreData, LengthPrefixed.TryReadMessage(ref partial, 100, out _));
        }
    }

    [Fact]
    public void TryReadMessage_DeclaredLengthOverLimit_InvalidDataBeforeBuffering()
    {
        // 4 GiB declared with only the prefix present: rejected at once, nothing allocated.
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString("8080808010"));
        Assert.Equal(OperationStatus.InvalidData, LengthPrefixed.TryReadMessage(ref buffer, 4 * 1024 * 1024, out _));
    }

    [Fact]
    public async Task ReadAsync_CleanEndNullTruncatedThrows()
    {
        var (a, b) = DuplexPipePair.Create();
        await LengthPrefixed.WriteAsync(a.Output, "abc"u8.ToArray(), TestContext.Current.CancellationToken).DefaultTimeout();
        await a.Output.CompleteAsync();
        Assert.Equal("abc"u8.ToArray(), await LengthPrefixed.ReadAsync(b.Input, 10, TestContext.Current.CancellationToken).DefaultTimeout());
        Assert.Null(await LengthPrefixed.ReadAsync(b.Input, 10, TestContext.Current.CancellationToken).DefaultTimeout());

        var (c, d) = DuplexPipePair.Create();
        await PipeIo.WriteAsync(c.Output, [0x05, 0x01, 0x02]);
        await c.Output.CompleteAsync();
        await Assert.ThrowsAsync<InvalidDataException>(() => LengthPrefixed.ReadAsync(d.Input, 10, TestContext.Current.CancellationToken).AsTask()).DefaultTimeout();
    }
}

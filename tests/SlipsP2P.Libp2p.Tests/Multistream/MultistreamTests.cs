using System.Buffers;
using SlipsP2P.Libp2p.Multistream;
using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Tests.Multistream;

public class MultistreamTests
{
    [Fact]
    public void Write_JsLineVectors_ExactBytes()
    {
        foreach (var p in Vectors.Js().GetProperty("multistream").EnumerateObject())
        {
            var buf = new byte[64];
            Array.Fill(buf, (byte)0xFF);
            int n = MultistreamMessage.Write(p.Name, buf);
            Assert.Equal(p.Value.GetString(), Convert.ToHexStringLower(buf, 0, n));
            Assert.Equal(n, MultistreamMessage.GetEncodedLength(p.Name));
        }
    }

    [Fact]
    public void TryRead_AllSegmentations_MessageAndRestKept()
    {
        var bytes = Convert.FromHexString("132f6d756c746973747265616d2f312e302e300a");
        foreach (var (name, seq, guard) in Segments.Variants(bytes))
        {
            var buffer = seq;
            Assert.True(MultistreamMessage.TryRead(ref buffer, 1025, out string msg) == OperationStatus.Done, name);
            Assert.Equal("/multistream/1.0.0", msg);
            Assert.Equal(guard, buffer.Length);
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, i);
            Assert.Equal(OperationStatus.NeedMoreData, MultistreamMessage.TryRead(ref partial, 1025, out _));
        }
    }

    [Theory]
    [InlineData("036e6178")] // no trailing newline
    [InlineData("ffffff01")] // more than 2 length bytes worth / too long
    [InlineData("00")]
    public void TryRead_Malformed_InvalidData(string hex)
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(hex));
        Assert.Equal(OperationStatus.InvalidData, MultistreamMessage.TryRead(ref buffer, 1025, out _));
    }

    [Fact]
    public async Task Select_ResponderSaysNaThenAccepts_SecondProtocolAndTrailingBytesKept()
    {
        var (a, b) = DuplexPipePair.Create();
        var responder = Task.Run(async () =>
        {
            string p = await MultistreamSelect.ListenAsync(b, new ProtocolSet("/meshsub/1.1.0"), TestContext.Current.CancellationToken);
            await PipeIo.WriteAsync(b.Output, "hi"u8.ToArray());
            return p;
        });

        string chosen = await MultistreamSelect.SelectAsync(a, ["/meshsub/1.2.0", "/meshsub/1.1.0"], TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.Equal("/meshsub/1.1.0", chosen);
        Assert.Equal("/meshsub/1.1.0", await responder.DefaultTimeout());
        Assert.Equal("hi"u8.ToArray(), await PipeIo.ReadExactlyAsync(a.Input, 2));
    }

    [Fact]
    public async Task Select_NothingSupported_ThrowsNotSupported()
    {
        var (a, b) = DuplexPipePair.Create();
        var responder = Task.Run(() => MultistreamSelect.ListenAsync(b, new ProtocolSet("/x"), TestContext.Current.CancellationToken));
        var ex = await Assert.ThrowsAsync<MultistreamException>(() => MultistreamSelect.SelectAsync(a, ["/a", "/b"], TestContext.Current.CancellationToken)).DefaultTimeout();
        Assert.True(ex.NotSupported);
        await a.Output.CompleteAsync();
        await Assert.ThrowsAsync<MultistreamException>(() => responder).DefaultTimeout();
    }

    [Fact]
    public async Task List_Responder_ReturnsProtocols()
    {
        var (a, b) = DuplexPipePair.Create();
        _ = Task.Run(() => MultistreamSelect.ListenAsync(b, new ProtocolSet("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"), TestContext.Current.CancellationToken));
        var list = await MultistreamSelect.ListAsync(a, TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.Equal(["/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"], list.Order(StringComparer.Ordinal));
        await a.Output.CompleteAsync();
    }

    [Fact]
    public async Task Listen_ProposalWithoutNewline_ThrowsMultistreamException()
    {
        var (a, b) = DuplexPipePair.Create();
        await PipeIo.WriteAsync(a.Output, Convert.FromHexString("132f6d756c746973747265616d2f312e302e300a" + "036e6178"));
        await Assert.ThrowsAsync<MultistreamException>(() => MultistreamSelect.ListenAsync(b, new ProtocolSet("/x"), TestContext.Current.CancellationToken)).DefaultTimeout();
    }
}

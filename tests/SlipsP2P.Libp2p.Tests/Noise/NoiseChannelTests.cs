using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Noise;
using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Tests.Noise;

/// <summary>Our Noise channel against a hand-driven responder that reads the raw wire.</summary>
public class NoiseChannelTests
{
    private static async Task<byte[]> ReadFrameAsync(PipeReader reader)
    {
        var header = await PipeIo.ReadExactlyAsync(reader, 2);
        return await PipeIo.ReadExactlyAsync(reader, BinaryPrimitives.ReadUInt16BigEndian(header));
    }

    private static async Task WriteFrameAsync(PipeWriter writer, byte[] message)
    {
        var frame = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame, 2);
        await PipeIo.WriteAsync(writer, frame);
    }

    private sealed record Responder(NoiseHandshakeState State, NoiseCipherState Send, NoiseCipherState Receive, byte[] Message1);

    private static async Task<Responder> RespondAsync(IDuplexPipe raw, Ed25519KeyPair identity, NoiseKeyPair staticKey, byte[]? signOver = null)
    {
        var hs = new NoiseHandshakeState(false, [], staticKey);
        var m1 = await ReadFrameAsync(raw.Input);
        hs.ReadMessage(m1);
        var payload = NoiseSecureChannel.CreatePayload(identity, signOver ?? staticKey.PublicKey).Encode();
        await WriteFrameAsync(raw.Output, hs.WriteMessage(payload));
        var m3 = await ReadFrameAsync(raw.Input);
        var initiatorPayload = hs.ReadMessage(m3);
        Assert.Equal(OperationStatus.Done, NoiseHandshakePayload.TryDecode(initiatorPayload, out var p));
        NoiseSecureChannel.Verify(p!, hs.RemoteStaticKey, null);
        var (send, receive) = hs.Split();
        return new Responder(hs, send, receive, m1);
    }

    [Fact]
    public async Task Initiator_LargeWrite_SplitIntoFramesOfAtMost65535AndDecryptable()
    {
        // Arrange
        var (a, b) = DuplexPipePair.Create();
        using var idA = Ed25519KeyPair.Generate();
        using var idB = Ed25519KeyPair.Generate();
        using var sB = NoiseKeyPair.Generate();
        var connecting = NoiseSecureChannel.HandshakeAsync(a, true, idA, idB.PeerId, TestContext.Current.CancellationToken);
        var responder = await RespondAsync(b, idB, sB).DefaultTimeout();
        await using var conn = await connecting.DefaultTimeout();
        Assert.Equal(idB.PeerId, conn.RemotePeer);

        // Message 1 is the bare 32-byte ephemeral key (js sends and expects exactly that).
        Assert.Equal(32, responder.Message1.Length);

        // Act
        var data = new byte[200_000];
        new Random(3).NextBytes(data);
        await conn.Output.WriteAsync(data, TestContext.Current.CancellationToken);

        // Assert: frames are within the Noise limit and decrypt in order with an empty AD.
        var received = new ArrayBufferWriter<byte>();
        while (received.WrittenCount < data.Length)
        {
            var frame = await ReadFrameAsync(b.Input);
            Assert.InRange(frame.Length, 17, NoiseFrame.MaxMessageLength);
            var plain = new byte[frame.Length - 16];
            responder.Receive.Decrypt([], frame, plain);
            received.Write(plain);
        }

        Assert.Equal(data, received.WrittenSpan.ToArray());

        // And the other direction.
        var back = new byte[NoiseCipherState.TagLength + 5];
        responder.Send.Encrypt([], "hello"u8, back);
        await WriteFrameAsync(b.Output, back);
        Assert.Equal("hello"u8.ToArray(), await PipeIo.ReadExactlyAsync(conn.Input, 5));
        responder.State.Dispose();
        responder.Send.Dispose();
        responder.Receive.Dispose();
    }

    [Fact]
    public async Task TamperedTransportFrame_ReaderFailsWithNoiseException()
    {
        var (a, b) = DuplexPipePair.Create();
        using var idA = Ed25519KeyPair.Generate();
        using var idB = Ed25519KeyPair.Generate();
        using var sB = NoiseKeyPair.Generate();
        var connecting = NoiseSecureChannel.HandshakeAsync(a, true, idA, null, TestContext.Current.CancellationToken);
        var responder = await RespondAsync(b, idB, sB).DefaultTimeout();
        await using var conn = await connecting.DefaultTimeout();

        var frame = new byte[NoiseCipherState.TagLength + 3];
        responder.Send.Encrypt([], [1, 2, 3], frame);
        frame[1] ^= 0x80;
        await WriteFrameAsync(b.Output, frame);

        await Assert.ThrowsAsync<NoiseException>(() => PipeIo.ReadToEndAsync(conn.Input)).DefaultTimeout();
        responder.State.Dispose();
    }

    [Fact]
    public async Task Responder_SignsOtherStaticKey_InitiatorRejectsHandshake()
    {
        var (a, b) = DuplexPipePair.Create();
        using var idA = Ed25519KeyPair.Generate();
        using var idB = Ed25519KeyPair.Generate();
        using var sB = NoiseKeyPair.Generate();
        using var other = NoiseKeyPair.Generate();
        var connecting = NoiseSecureChannel.HandshakeAsync(a, true, idA, null, TestContext.Current.CancellationToken);
        var responding = RespondAsync(b, idB, sB, signOver: other.PublicKey);

        var ex = await Assert.ThrowsAsync<NoiseException>(() => connecting).DefaultTimeout();
        Assert.Contains("signature", ex.Message, StringComparison.Ordinal);
        await a.Output.CompleteAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => responding).DefaultTimeout();
    }

    [Fact]
    public async Task Handshake_PeerClosesMidway_NoiseExceptionNotHang()
    {
        var (a, b) = DuplexPipePair.Create();
        using var idA = Ed25519KeyPair.Generate();
        var connecting = NoiseSecureChannel.HandshakeAsync(a, true, idA, null, TestContext.Current.CancellationToken);
        await ReadFrameAsync(b.Input);
        await WriteFrameAsync(b.Output, new byte[40]);
        await b.Output.CompleteAsync();
        await Assert.ThrowsAsync<NoiseException>(() => connecting).DefaultTimeout();
    }
}

using System.Buffers;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Protobuf;

namespace SlipsP2P.Libp2p.Tests.Discovery;

public sealed class SignedPeerRecordTests
{
    private static readonly Multiaddr[] s_addresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001"), Multiaddr.Parse("/ip6/::1/tcp/4002")];

    [Fact]
    public void TryOpen_SealedRecord_GivesPeerSequenceAndAddresses()
    {
        using var key = Ed25519KeyPair.Generate();
        byte[] envelope = SignedPeerRecord.Seal(key, 7, s_addresses);

        Assert.Equal(OperationStatus.Done, SignedPeerRecord.TryOpen(envelope, out var record));

        Assert.Equal(key.PeerId, record!.Peer);
        Assert.Equal(7UL, record.Sequence);
        Assert.Equal(s_addresses, record.Addresses);
    }

    [Fact]
    public void TryOpen_AnyByteChanged_InvalidData()
    {
        using var key = Ed25519KeyPair.Generate();
        byte[] envelope = SignedPeerRecord.Seal(key, 1, s_addresses);
        for (int i = 0; i < envelope.Length; i++)
        {
            byte[] copy = (byte[])envelope.Clone();
            copy[i] ^= 0x01;
            Assert.NotEqual(OperationStatus.Done, SignedPeerRecord.TryOpen(copy, out _));
        }
    }

    [Fact]
    public void TryOpen_RecordAboutAnotherPeer_InvalidData()
    {
        // Arrange: the envelope of key A, its payload swapped for key B's record and re-signed by A: a forgery of B's addresses.
        using var a = Ed25519KeyPair.Generate();
        using var b = Ed25519KeyPair.Generate();
        byte[] ofB = SignedPeerRecord.Seal(b, 1, s_addresses);
        ReadOnlySpan<byte> payload = default;
        var reader = new ProtoReader(ofB);
        while (!reader.End)
        {
            Assert.Equal(OperationStatus.Done, reader.TryReadField(out var f));
            if (f.Number == 3) payload = f.Bytes;
        }

        var signed = new ProtoWriter();
        signed.WriteRawVarint((ulong)SignedPeerRecord.Domain.Length);
        signed.WriteRaw(System.Text.Encoding.ASCII.GetBytes(SignedPeerRecord.Domain));
        signed.WriteRawVarint(2);
        signed.WriteRaw([0x03, 0x01]);
        signed.WriteRawVarint((ulong)payload.Length);
        signed.WriteRaw(payload);
        var forged = new ProtoWriter();
        forged.WriteMessage(1, a.PublicKey.Protobuf);
        forged.WriteBytes(2, [0x03, 0x01]);
        forged.WriteBytes(3, payload);
        forged.WriteBytes(5, a.Sign(signed.WrittenSpan));

        // Act + Assert: the signature is A's and valid, but the record names B.
        Assert.Equal(OperationStatus.InvalidData, SignedPeerRecord.TryOpen(forged.WrittenSpan, out _));
    }

    [Fact]
    public void TryOpen_TruncatedOrOversized_InvalidDataWithoutThrowing()
    {
        using var key = Ed25519KeyPair.Generate();
        byte[] envelope = SignedPeerRecord.Seal(key, 1, s_addresses);
        for (int n = 0; n < envelope.Length; n++) Assert.NotEqual(OperationStatus.Done, SignedPeerRecord.TryOpen(envelope.AsSpan(0, n), out _));
        Assert.Equal(OperationStatus.InvalidData, SignedPeerRecord.TryOpen(new byte[SignedPeerRecord.MaxEnvelopeLength + 1], out _));
    }
}

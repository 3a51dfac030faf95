// libp2p Noise handshake: https://github.com/libp2p/specs/blob/master/noise/README.md
//
//   initiator                                   responder
//   [len] e                              ->
//                                        <-     [len] e, ee, s, es, payload(identity_key, identity_sig)
//   [len] s, se, payload(...)            ->
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Noise;

/// <summary>Runs the libp2p Noise XX handshake over a raw duplex pipe and returns the secured connection.</summary>
public static class NoiseSecureChannel
{
    /// <summary>The multistream protocol id.</summary>
    public const string ProtocolId = "/noise";

    /// <summary>Runs the handshake; throws <see cref="NoiseException"/> for any failure (bad signature, wrong peer...).</summary>
    /// <param name="transport">The raw connection, just after multistream chose /noise.</param>
    /// <param name="initiator">True for the TCP dialer.</param>
    /// <param name="identity">The local identity key used to sign the static key.</param>
    /// <param name="expectedRemote">When dialing /p2p/&lt;id&gt;, the id the remote must prove.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    public static Task<NoiseConnection> HandshakeAsync(IDuplexPipe transport, bool initiator, Ed25519KeyPair identity,
        PeerId? expectedRemote, CancellationToken cancellationToken)
        => HandshakeAsync(transport, initiator, identity, expectedRemote, [], cancellationToken);

    /// <summary>
    /// Runs the handshake, offering <paramref name="streamMuxers"/> in the payload's extensions (inlined muxer
    /// negotiation, sent in messages 2 and 3 as js does). An empty list sends no extensions.
    /// </summary>
    public static async Task<NoiseConnection> HandshakeAsync(IDuplexPipe transport, bool initiator, Ed25519KeyPair identity,
        PeerId? expectedRemote, IReadOnlyList<string> streamMuxers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(streamMuxers);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(identity);
        using var staticKey = NoiseKeyPair.Generate();
        using var hs = new NoiseHandshakeState(initiator, ReadOnlySpan<byte>.Empty, staticKey);
        byte[] localPayload = (CreatePayload(identity, staticKey.PublicKey) with { StreamMuxers = streamMuxers }).Encode();
        NoiseHandshakePayload? remotePayload = null;
        (PublicKey Key, PeerId Peer)? verified = null;
        while (!hs.IsComplete)
        {
            if (hs.IsMyTurn)
            {
                // Message 1 carries no payload (libp2p spec: extensions must not go in message 1).
                byte[] msg = hs.WriteMessage(hs.IsInitiator && hs.RemoteStaticKey.IsEmpty ? [] : localPayload);
                await WriteFrameAsync(transport.Output, msg, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                byte[] msg = await ReadFrameAsync(transport.Input, cancellationToken).ConfigureAwait(false);
                byte[] payload = hs.ReadMessage(msg);

                // Only the message that carries the remote static key (2 or 3) has the identity payload; check it
                // before sending anything else, so a forged identity never gets our message 3.
                if (!hs.RemoteStaticKey.IsEmpty && remotePayload is null)
                {
                    if (NoiseHandshakePayload.TryDecode(payload, out remotePayload) != OperationStatus.Done)
                    {
                        throw new NoiseException("malformed Noise handshake payload");
                    }

                    verified = Verify(remotePayload!, hs.RemoteStaticKey, expectedRemote);
                }
            }
        }

        if (verified is not { } v) throw new NoiseException("remote sent no Noise handshake payload");
        var (remoteKey, remotePeer) = v;
        var (send, receive) = hs.Split();
        var connection = new NoiseConnection(transport, send, receive, remoteKey, remotePeer, remotePayload!.StreamMuxers);
        connection.Start();
        return connection;
    }

    /// <summary>Builds our payload: identity key and the signature over the static key.</summary>
    public static NoiseHandshakePayload CreatePayload(Ed25519KeyPair identity, ReadOnlySpan<byte> staticPublicKey)
    {
        ArgumentNullException.ThrowIfNull(identity);
        byte[] signed = SignedData(staticPublicKey);
        return new NoiseHandshakePayload(identity.PublicKey.ToProtobuf(), identity.Sign(signed), []);
    }

    /// <summary>Checks the remote payload against the static key received in the handshake.</summary>
    public static (PublicKey Key, PeerId Peer) Verify(NoiseHandshakePayload payload, ReadOnlySpan<byte> remoteStatic, PeerId? expectedRemote)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (PublicKey.TryDecode(payload.IdentityKey, out var key) != OperationStatus.Done) throw new NoiseException("remote identity key is malformed");
        if (key!.Type != KeyType.Ed25519) throw new NoiseException($"remote identity key type {key.Type} is not supported");
        if (!key.Verify(SignedData(remoteStatic), payload.IdentitySignature))
        {
            throw new NoiseException("remote identity signature does not cover its Noise static key");
        }

        var peer = key.ToPeerId();
        if (expectedRemote is not null && expectedRemote != peer)
        {
            throw new NoiseException($"dialed peer {expectedRemote} but the remote proved {peer}");
        }

        return (key, peer);
    }

    private static byte[] SignedData(ReadOnlySpan<byte> staticPublicKey)
    {
        var prefix = Encoding.ASCII.GetBytes(NoiseHandshakePayload.SignaturePrefix);
        var data = new byte[prefix.Length + staticPublicKey.Length];
        prefix.CopyTo(data, 0);
        staticPublicKey.CopyTo(data.AsSpan(prefix.Length));
        return data;
    }

    private static async ValueTask WriteFrameAsync(PipeWriter writer, byte[] message, CancellationToken ct)
    {
        if (message.Length > NoiseFrame.MaxMessageLength) throw new NoiseException("Noise handshake message too long");
        var span = writer.GetSpan(NoiseFrame.HeaderLength + message.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)message.Length);
        message.CopyTo(span[NoiseFrame.HeaderLength..]);
        writer.Advance(NoiseFrame.HeaderLength + message.Length);
        await writer.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async ValueTask<byte[]> ReadFrameAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (NoiseFrame.TryReadFrame(ref buffer, out var message))
            {
                var bytes = message.ToArray();
                reader.AdvanceTo(buffer.Start);
                return bytes;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) throw new NoiseException("connection closed during the Noise handshake");
            if (result.IsCanceled) throw new OperationCanceledException("Noise handshake read canceled");
        }
    }
}

// Identify and identify push: https://github.com/libp2p/specs/blob/master/identify/README.md
//
// The opener asks; the responder writes one length-prefixed Identify message and closes (js reads lp-framed).
using System.Buffers;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Protobuf;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Protocols.Identify;

/// <summary>The identify protocol: responder, requester and push.</summary>
public static class IdentifyProtocol
{
    /// <summary>Identify.</summary>
    public const string ProtocolId = "/ipfs/id/1.0.0";

    /// <summary>Identify push.</summary>
    public const string PushProtocolId = "/ipfs/id/push/1.0.0";

    /// <summary>Builds our identify message for <paramref name="connection"/>.</summary>
    public static IdentifyMessage CreateMessage(Libp2pHost host, Libp2pConnection connection)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(connection);
        var addrs = new List<byte[]>();
        foreach (var a in host.GetAdvertisedAddresses()) addrs.Add(a.WithoutPeerId().ToByteArray());
        return new IdentifyMessage
        {
            ProtocolVersion = host.Options.ProtocolVersion,
            AgentVersion = host.Options.AgentVersion,
            PublicKey = host.Identity.PublicKey.ToProtobuf(),
            ListenAddrs = addrs,
            ObservedAddr = connection.RemoteAddress.WithoutPeerId().ToByteArray(),
            Protocols = [.. host.Protocols],
            SignedPeerRecord = host.LocalSignedPeerRecord(),
        };
    }

    /// <summary>Responder: sends our identify message and closes the stream.</summary>
    public static async Task RespondAsync(Libp2pHost host, Libp2pStream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var message = CreateMessage(host, stream.Connection).Encode();
        await LengthPrefixed.WriteAsync(stream.Output, message, cancellationToken).ConfigureAwait(false);
        await stream.Output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Requester: asks the remote of <paramref name="connection"/> and validates the answer.</summary>
    public static async Task<IdentifyResult> RequestAsync(Libp2pConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var stream = await connection.OpenStreamAsync(ProtocolId, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await stream.Output.CompleteAsync().ConfigureAwait(false);
            var bytes = await LengthPrefixed.ReadAsync(stream.Input, IdentifyMessage.MaxLength, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"peer {connection.RemotePeer} closed identify without a message");
            if (IdentifyMessage.TryDecode(bytes, out var msg) != OperationStatus.Done)
            {
                throw new InvalidDataException($"peer {connection.RemotePeer} sent a malformed identify message");
            }

            return ToResult(connection, msg!, previous: null);
        }
    }

    /// <summary>Push responder: reads a pushed message and merges the fields present into what we knew.</summary>
    public static async Task<IdentifyResult?> ReceivePushAsync(Libp2pStream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var bytes = await LengthPrefixed.ReadAsync(stream.Input, IdentifyMessage.MaxLength, cancellationToken).ConfigureAwait(false);
        if (bytes is null) return null;
        if (IdentifyMessage.TryDecode(bytes, out var msg) != OperationStatus.Done)
        {
            throw new InvalidDataException($"peer {stream.RemotePeer} pushed a malformed identify message");
        }

        return ToResult(stream.Connection, msg!, stream.Connection.Identify);
    }

    /// <summary>Push requester: sends our current identify message.</summary>
    public static async Task PushAsync(Libp2pHost host, Libp2pConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var stream = await connection.OpenStreamAsync(PushProtocolId, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await LengthPrefixed.WriteAsync(stream.Output, CreateMessage(host, connection).Encode(), cancellationToken).ConfigureAwait(false);
            await stream.Output.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Validates a message against the connection (the key must hash to the authenticated peer id).</summary>
    public static IdentifyResult ToResult(Libp2pConnection connection, IdentifyMessage message, IdentifyResult? previous)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(message);
        PublicKey key;
        if (message.PublicKey is not null)
        {
            if (PublicKey.TryDecode(message.PublicKey, out var k) != OperationStatus.Done)
            {
                throw new InvalidDataException($"peer {connection.RemotePeer} sent a malformed identify public key");
            }

            key = k!;
            if (!connection.RemotePeer.Matches(key))
            {
                throw new InvalidDataException($"identify public key of {connection.RemotePeer} belongs to {key.ToPeerId()}");
            }
        }
        else if (previous is not null)
        {
            key = previous.PublicKey;
        }
        else
        {
            throw new InvalidDataException($"peer {connection.RemotePeer} sent identify without a public key");
        }

        IReadOnlyList<Multiaddr> addrs = previous?.ListenAddresses ?? [];
        if (message.ListenAddrs is not null)
        {
            var list = new List<Multiaddr>(message.ListenAddrs.Count);
            foreach (var a in message.ListenAddrs)
            {
                if (Multiaddr.TryDecode(a, out var ma) == OperationStatus.Done) list.Add(ma!);
            }

            addrs = list;
        }

        Multiaddr? observed = previous?.ObservedAddress;
        if (message.ObservedAddr is not null && Multiaddr.TryDecode(message.ObservedAddr, out var o) == OperationStatus.Done) observed = o;
        // A record about anyone but the authenticated peer, or one that does not verify, is dropped (it may be forged).
        byte[]? record = previous?.SignedPeerRecord;
        if (message.SignedPeerRecord is not null)
        {
            record = SignedPeerRecord.TryOpen(message.SignedPeerRecord, out var opened) == OperationStatus.Done && opened!.Peer == connection.RemotePeer
                ? message.SignedPeerRecord
                : null;
        }

        return new IdentifyResult(
            connection.RemotePeer,
            key,
            message.ProtocolVersion ?? previous?.ProtocolVersion,
            message.AgentVersion ?? previous?.AgentVersion,
            addrs,
            observed,
            message.Protocols ?? previous?.Protocols ?? (IReadOnlyList<string>)[],
            record);
    }
}

using Microsoft.Extensions.Logging;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Gossipsub;

public sealed partial class GossipsubRouter
{
    // Libp2p event ids 3000-3999; gossipsub uses 3400-3449.
    private static partial class Log
    {
        [LoggerMessage(3400, LogLevel.Debug, "Gossipsub peer {PeerId} added with {Protocol}")]
        public static partial void PeerAdded(ILogger logger, PeerId peerId, PubsubProtocol protocol);

        [LoggerMessage(3401, LogLevel.Debug, "Gossipsub peer {PeerId} removed")]
        public static partial void PeerRemoved(ILogger logger, PeerId peerId);

        [LoggerMessage(3402, LogLevel.Information, "Gossipsub message from {PeerId} on {Topic} rejected: {Status}")]
        public static partial void InvalidSignature(ILogger logger, PeerId peerId, string topic, SignatureStatus status);

        [LoggerMessage(3403, LogLevel.Warning, "Gossipsub validator for {Topic} threw; message ignored")]
        public static partial void ValidatorFailed(ILogger logger, string topic, Exception exception);

        [LoggerMessage(3404, LogLevel.Error, "Gossipsub router failed to process {Event}")]
        public static partial void EventFailed(ILogger logger, string @event, Exception exception);

        [LoggerMessage(3405, LogLevel.Debug, "Gossipsub could not queue an RPC for {PeerId}")]
        public static partial void SendFailed(ILogger logger, PeerId peerId);

        [LoggerMessage(3406, LogLevel.Debug, "Gossipsub peer {PeerId} grafted us on {Topic}")]
        public static partial void Grafted(ILogger logger, PeerId peerId, string topic);
    }
}

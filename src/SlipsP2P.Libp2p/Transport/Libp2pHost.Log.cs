using System.Net;
using Microsoft.Extensions.Logging;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Transport;

// Event ids 3000-3099: host and connections (Libp2p range 3000-3999; yamux uses 3100-3199).
public sealed partial class Libp2pHost
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Listening on {Address}/p2p/{PeerId}")]
    private static partial void LogListening(ILogger logger, Multiaddr address, PeerId peerId);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Connection {ConnectionId} to {PeerId} opened ({Direction}, {Address})")]
    private static partial void LogConnectionOpened(ILogger logger, PeerId peerId, long connectionId, ConnectionDirection direction, Multiaddr address);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Connection {ConnectionId} to {PeerId} closed")]
    private static partial void LogConnectionClosed(ILogger logger, PeerId peerId, long connectionId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Upgrade of inbound connection from {Address} failed ({ErrorType}): {Reason}")]
    private static partial void LogUpgradeFailed(ILogger logger, Multiaddr address, string errorType, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Rejected inbound connection from {Address}: {Reason}")]
    private static partial void LogInboundRejected(ILogger logger, IPEndPoint address, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Accept loop on {Address} stopped: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, Multiaddr address, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Debug, Message = "Identified {PeerId} on connection {ConnectionId}: agent {Agent}, {ProtocolCount} protocols")]
    private static partial void LogIdentified(ILogger logger, PeerId peerId, long connectionId, string agent, int protocolCount);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Identify with {PeerId} on connection {ConnectionId} failed: {Reason}")]
    private static partial void LogIdentifyFailed(ILogger logger, PeerId peerId, long connectionId, string reason);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Debug, Message = "Stream {StreamId} from {PeerId} on connection {ConnectionId}: negotiation failed: {Reason}")]
    private static partial void LogNegotiationFailed(ILogger logger, PeerId peerId, long connectionId, uint streamId, string reason);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "Handler for {Protocol} from {PeerId} on connection {ConnectionId} failed: {Reason}")]
    private static partial void LogHandlerFailed(ILogger logger, PeerId peerId, long connectionId, string protocol, string reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Closing idle connection {ConnectionId} to {PeerId}")]
    private static partial void LogIdleClose(ILogger logger, PeerId peerId, long connectionId);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Connection event handler for {PeerId} ({ConnectionId}) failed: {Reason}")]
    private static partial void LogEventHandlerFailed(ILogger logger, PeerId peerId, long connectionId, string reason);
}

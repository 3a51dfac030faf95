using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Protocols.Identify;

/// <summary>What a peer told us about itself through identify (or identify push).</summary>
/// <param name="Peer">The peer's id (checked against its public key and the connection).</param>
/// <param name="PublicKey">The peer's identity key.</param>
/// <param name="ProtocolVersion">Its protocol version string, if sent.</param>
/// <param name="AgentVersion">Its agent string, if sent.</param>
/// <param name="ListenAddresses">Its listen addresses (undecodable ones skipped).</param>
/// <param name="ObservedAddress">How it sees us, if sent and decodable.</param>
/// <param name="Protocols">The protocols it accepts inbound.</param>
/// <param name="SignedPeerRecord">
/// Its signed peer record (envelope bytes), when it sent one that verifies and is about the peer itself; a record that
/// fails either check is dropped.
/// </param>
public sealed record IdentifyResult(
    PeerId Peer,
    PublicKey PublicKey,
    string? ProtocolVersion,
    string? AgentVersion,
    IReadOnlyList<Multiaddr> ListenAddresses,
    Multiaddr? ObservedAddress,
    IReadOnlyList<string> Protocols,
    byte[]? SignedPeerRecord = null);

using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Discovery;

/// <summary>A peer and one address to dial it at (the address includes /p2p/&lt;peer&gt;).</summary>
/// <param name="Peer">The peer id.</param>
/// <param name="Address">The full multiaddr, ending in /p2p/&lt;peer&gt;.</param>
public sealed record PeerAddress(PeerId Peer, Multiaddr Address);

/// <summary>A problem found in an input file, with where it was found.</summary>
/// <param name="File">The file path.</param>
/// <param name="Line">1-based line (0 when the file as a whole is bad).</param>
/// <param name="Message">What is wrong.</param>
public sealed record DiscoveryInputError(string File, int Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

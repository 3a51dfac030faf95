namespace SlipsP2P.Libp2p.Transport;

/// <summary>Who opened the underlying TCP connection (fixes the mss, Noise and yamux roles).</summary>
public enum ConnectionDirection
{
    /// <summary>The remote dialed us: mss responder, Noise responder, yamux server (even ids).</summary>
    Inbound,

    /// <summary>We dialed: mss initiator, Noise initiator, yamux client (odd ids).</summary>
    Outbound,
}

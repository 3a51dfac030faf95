// Kademlia DHT message types: https://github.com/libp2p/specs/blob/master/kad-dht/README.md#rpc-messages
namespace SlipsP2P.Libp2p.Discovery.Kad;

/// <summary>The kad-dht <c>MessageType</c> enum.</summary>
public enum KadMessageType
{
    /// <summary>Store a record.</summary>
    PutValue = 0,

    /// <summary>Fetch a record.</summary>
    GetValue = 1,

    /// <summary>Announce a provider.</summary>
    AddProvider = 2,

    /// <summary>Find providers.</summary>
    GetProviders = 3,

    /// <summary>Find the peers closest to a key.</summary>
    FindNode = 4,

    /// <summary>Deprecated liveness check.</summary>
    Ping = 5,
}

/// <summary>The kad-dht <c>ConnectionType</c> of a peer entry.</summary>
public enum KadConnectionType
{
    /// <summary>Not connected, no recent connection.</summary>
    NotConnected = 0,

    /// <summary>Connected to the sender.</summary>
    Connected = 1,

    /// <summary>Recently connected.</summary>
    CanConnect = 2,

    /// <summary>Recently failed to connect.</summary>
    CannotConnect = 3,
}

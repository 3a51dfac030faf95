using SlipsP2P.Libp2p.Discovery.Kad;
using SlipsP2P.Libp2p.Discovery.Mdns;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Node;

/// <summary>Settings of a <see cref="Libp2pNode"/>, with documented defaults.</summary>
public sealed class Libp2pNodeOptions
{
    /// <summary>The default listen address when <see cref="ListenAddresses"/> is empty.</summary>
    public const string DefaultListenAddress = "/ip4/127.0.0.1/tcp/0";

    /// <summary>TCP multiaddrs to listen on. Empty: /ip4/127.0.0.1/tcp/0.</summary>
    public IList<Multiaddr> ListenAddresses { get; } = [];

    /// <summary>Peers to dial at start (multiaddrs, /p2p optional).</summary>
    public IList<Multiaddr> DialAddresses { get; } = [];

    /// <summary>The identity key file (libp2p PrivateKey protobuf), created with mode 0600 when missing. Null: a fresh key per run.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Topics to join at start.</summary>
    public IList<string> Topics { get; } = [];

    /// <summary>A bootstrap folder (every *.txt) or file: one multiaddr ending in /p2p/&lt;id&gt; per line.</summary>
    public string? BootstrapPath { get; set; }

    /// <summary>The JSON peer store: read at start (its peers are dialed) and written at stop. Null: none.</summary>
    public string? PeerStorePath { get; set; }

    /// <summary>Run mDNS discovery on the local link. Default false.</summary>
    public bool EnableMdns { get; set; }

    /// <summary>mDNS settings.</summary>
    public MdnsOptions Mdns { get; set; } = new();

    /// <summary>Run the Kademlia DHT (server mode) for peer discovery. Default true.</summary>
    public bool EnableDht { get; set; } = true;

    /// <summary>DHT settings; set <see cref="KadOptions.ProtocolId"/> (e.g. /slips/kad/1.0.0) for a private network.</summary>
    public KadOptions Dht { get; set; } = new();

    /// <summary>Host settings (connection limits, timeouts).</summary>
    public Libp2pHostOptions Host { get; set; } = new();

    /// <summary>Gossipsub settings.</summary>
    public GossipsubOptions Gossipsub { get; set; } = new();

    /// <summary>Discovered peers are dialed while we have fewer connections than this. Default 32.</summary>
    public int TargetPeers { get; set; } = 32;

    /// <summary>
    /// Peer exchange (gossipsub PRUNE with PX) dials under way at most; further candidates are dropped until some
    /// finish. Default 8. Zero turns peer exchange dialing off.
    /// </summary>
    public int MaxPeerExchangeDials { get; set; } = 8;

    /// <summary>Time allowed for the pubsub streams of a new connection to be set up. Default 10 s.</summary>
    public TimeSpan PubsubSetupTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for each part of a clean stop. Default 5 s.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Host);
        ArgumentNullException.ThrowIfNull(Gossipsub);
        ArgumentNullException.ThrowIfNull(Dht);
        ArgumentNullException.ThrowIfNull(Mdns);
        Host.Validate();
        Gossipsub.Validate();
        Dht.Validate();
        Mdns.Validate();
        foreach (var t in Topics)
        {
            if (string.IsNullOrEmpty(t)) throw new ArgumentException($"{nameof(Topics)} must not contain an empty topic");
        }

        if (MaxPeerExchangeDials < 0) throw new ArgumentException($"{nameof(MaxPeerExchangeDials)} must not be negative");
        if (TargetPeers < 0) throw new ArgumentException($"{nameof(TargetPeers)} must not be negative");
        if (PubsubSetupTimeout <= TimeSpan.Zero) throw new ArgumentException($"{nameof(PubsubSetupTimeout)} must be positive");
        if (StopTimeout <= TimeSpan.Zero) throw new ArgumentException($"{nameof(StopTimeout)} must be positive");
    }
}

// Pubsub protocol ids: floodsub (pubsub README), meshsub v1.0/v1.1/v1.2 (gossipsub specs).
// js proposes them in the order 1.2.0, 1.1.0, 1.0.0, floodsub (brief §5).
namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>The pubsub protocol a peer's stream was negotiated with.</summary>
public enum PubsubProtocol
{
    /// <summary>/floodsub/1.0.0: no control messages, no mesh.</summary>
    Floodsub,

    /// <summary>/meshsub/1.0.0: gossipsub without peer exchange or backoff fields.</summary>
    Meshsub10,

    /// <summary>/meshsub/1.1.0.</summary>
    Meshsub11,

    /// <summary>/meshsub/1.2.0: adds IDONTWANT.</summary>
    Meshsub12,
}

/// <summary>Protocol id strings and their mapping.</summary>
public static class PubsubProtocols
{
    /// <summary>/floodsub/1.0.0</summary>
    public const string Floodsub = "/floodsub/1.0.0";

    /// <summary>/meshsub/1.0.0</summary>
    public const string Meshsub10 = "/meshsub/1.0.0";

    /// <summary>/meshsub/1.1.0</summary>
    public const string Meshsub11 = "/meshsub/1.1.0";

    /// <summary>/meshsub/1.2.0</summary>
    public const string Meshsub12 = "/meshsub/1.2.0";

    /// <summary>The ids this router serves, best first (what an outbound stream proposes).</summary>
    public static IReadOnlyList<string> Preference(GossipsubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var list = new List<string>(4);
        if (options.EnableV12) list.Add(Meshsub12);
        list.Add(Meshsub11);
        list.Add(Meshsub10);
        if (options.FallbackToFloodsub) list.Add(Floodsub);
        return list;
    }

    /// <summary>Maps a protocol id to <see cref="PubsubProtocol"/>.</summary>
    public static bool TryParse(string protocolId, out PubsubProtocol protocol)
    {
        switch (protocolId)
        {
            case Floodsub: protocol = PubsubProtocol.Floodsub; return true;
            case Meshsub10: protocol = PubsubProtocol.Meshsub10; return true;
            case Meshsub11: protocol = PubsubProtocol.Meshsub11; return true;
            case Meshsub12: protocol = PubsubProtocol.Meshsub12; return true;
            default: protocol = default; return false;
        }
    }

    /// <summary>True for the meshsub (gossipsub) protocols.</summary>
    public static bool IsGossipsub(this PubsubProtocol protocol) => protocol != PubsubProtocol.Floodsub;
}

namespace SlipsP2P.Libp2p.Discovery.Kad;

/// <summary>Kademlia DHT settings with documented defaults.</summary>
public sealed class KadOptions
{
    /// <summary>The stream protocol id. Default /ipfs/kad/1.0.0 (Amino); use a private id such as /slips/kad/1.0.0 for a separate network.</summary>
    public string ProtocolId { get; set; } = "/ipfs/kad/1.0.0";

    /// <summary>k: bucket size and lookup width. Default 20.</summary>
    public int BucketSize { get; set; } = 20;

    /// <summary>Parallel requests in a lookup. Default 3.</summary>
    public int Alpha { get; set; } = 3;

    /// <summary>Time for one request to one peer (dial, negotiate, request, response). Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Period of the routing-table refresh (self lookup plus random lookups). Default 10 minutes.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Random-key lookups per refresh, besides the self lookup. Default 2.</summary>
    public int RandomLookupsPerRefresh { get; set; } = 2;

    /// <summary>An inbound stream idle longer than this is closed. Default 60 s.</summary>
    public TimeSpan InboundIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Requests served on one inbound stream before it is closed. Default 256.</summary>
    public int MaxRequestsPerStream { get; set; } = 256;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(ProtocolId) || ProtocolId[0] != '/') throw new ArgumentException($"{nameof(ProtocolId)} must start with '/'");
        if (BucketSize is < 1 or > 256) throw new ArgumentException($"{nameof(BucketSize)} must be in 1..256");
        if (Alpha is < 1 or > 32) throw new ArgumentException($"{nameof(Alpha)} must be in 1..32");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException($"{nameof(RequestTimeout)} must be positive");
        if (RefreshInterval <= TimeSpan.Zero) throw new ArgumentException($"{nameof(RefreshInterval)} must be positive");
        if (RandomLookupsPerRefresh is < 0 or > 64) throw new ArgumentException($"{nameof(RandomLookupsPerRefresh)} must be in 0..64");
        if (InboundIdleTimeout <= TimeSpan.Zero) throw new ArgumentException($"{nameof(InboundIdleTimeout)} must be positive");
        if (MaxRequestsPerStream < 1) throw new ArgumentException($"{nameof(MaxRequestsPerStream)} must be at least 1");
    }
}

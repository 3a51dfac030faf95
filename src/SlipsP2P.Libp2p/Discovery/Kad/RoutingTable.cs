// Kademlia routing table: https://github.com/libp2p/specs/blob/master/kad-dht/README.md#kademlia-routing-table
//
// 257 buckets indexed by the common prefix length of sha256(self) and sha256(peer); each holds at most k peers,
// least recently seen first. A full bucket keeps its old peers (Kademlia prefers long-lived peers) and drops the new one.
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Discovery.Kad;

/// <summary>A routing-table entry.</summary>
/// <param name="Peer">The peer.</param>
/// <param name="Key">Its keyspace position.</param>
/// <param name="Addresses">Its known addresses (without /p2p).</param>
/// <param name="LastSeen">When it last answered or connected.</param>
public sealed record KadEntry(PeerId Peer, KadKey Key, IReadOnlyList<Multiaddr> Addresses, DateTimeOffset LastSeen);

/// <summary>Thread-safe k-bucket routing table.</summary>
public sealed class RoutingTable
{
    private readonly List<KadEntry>[] _buckets = new List<KadEntry>[257];
    private readonly Lock _lock = new();
    private readonly int _maxAddresses;

    /// <summary>Creates a table around <paramref name="self"/> with buckets of <paramref name="bucketSize"/>.</summary>
    public RoutingTable(PeerId self, int bucketSize = 20, int maxAddressesPerPeer = 16)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketSize, 1);
        Self = self;
        SelfKey = KadKey.FromPeer(self);
        BucketSize = bucketSize;
        _maxAddresses = maxAddressesPerPeer;
        for (int i = 0; i < _buckets.Length; i++) _buckets[i] = [];
    }

    /// <summary>Our own id.</summary>
    public PeerId Self { get; }

    /// <summary>Our keyspace position.</summary>
    public KadKey SelfKey { get; }

    /// <summary>k.</summary>
    public int BucketSize { get; }

    /// <summary>Number of peers in the table.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                int n = 0;
                foreach (var b in _buckets) n += b.Count;
                return n;
            }
        }
    }

    /// <summary>The bucket index (common prefix length with us) of <paramref name="key"/>.</summary>
    public int BucketIndex(KadKey key) => SelfKey.Xor(key).LeadingZeros();

    /// <summary>
    /// Adds or refreshes a peer (moving it to the most-recently-seen end and merging addresses). Returns false when
    /// the peer is us or its bucket is full.
    /// </summary>
    public bool TryAdd(PeerId peer, IEnumerable<Multiaddr> addresses, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(addresses);
        if (peer == Self) return false;
        var key = KadKey.FromPeer(peer);
        var bucket = _buckets[BucketIndex(key)];
        lock (_lock)
        {
            int index = bucket.FindIndex(e => e.Peer == peer);
            var merged = new List<Multiaddr>();
            foreach (var a in addresses)
            {
                var bare = a.WithoutPeerId();
                if (!merged.Contains(bare) && merged.Count < _maxAddresses) merged.Add(bare);
            }

            if (index >= 0)
            {
                foreach (var a in bucket[index].Addresses)
                {
                    if (!merged.Contains(a) && merged.Count < _maxAddresses) merged.Add(a);
                }

                bucket.RemoveAt(index);
                bucket.Add(new KadEntry(peer, key, merged, now));
                return true;
            }

            if (bucket.Count >= BucketSize) return false;
            bucket.Add(new KadEntry(peer, key, merged, now));
            return true;
        }
    }

    /// <summary>Removes a peer (it failed to answer).</summary>
    public bool Remove(PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var bucket = _buckets[BucketIndex(KadKey.FromPeer(peer))];
        lock (_lock) return bucket.RemoveAll(e => e.Peer == peer) > 0;
    }

    /// <summary>The entry for <paramref name="peer"/>, if present.</summary>
    public KadEntry? Find(PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var bucket = _buckets[BucketIndex(KadKey.FromPeer(peer))];
        lock (_lock) return bucket.Find(e => e.Peer == peer);
    }

    /// <summary>Up to <paramref name="count"/> peers closest to <paramref name="target"/>, closest first.</summary>
    public List<KadEntry> Closest(KadKey target, int count)
    {
        var all = new List<KadEntry>();
        lock (_lock)
        {
            foreach (var b in _buckets) all.AddRange(b);
        }

        all.Sort((x, y) => x.Key.Xor(target).CompareTo(y.Key.Xor(target)));
        if (all.Count > count) all.RemoveRange(count, all.Count - count);
        return all;
    }

    /// <summary>Every entry.</summary>
    public List<KadEntry> Snapshot()
    {
        var all = new List<KadEntry>();
        lock (_lock)
        {
            foreach (var b in _buckets) all.AddRange(b);
        }

        return all;
    }

    /// <summary>The highest non-empty bucket index, or -1 when the table is empty.</summary>
    public int HighestNonEmptyBucket()
    {
        lock (_lock)
        {
            for (int i = _buckets.Length - 1; i >= 0; i--)
            {
                if (_buckets[i].Count > 0) return i;
            }
        }

        return -1;
    }
}

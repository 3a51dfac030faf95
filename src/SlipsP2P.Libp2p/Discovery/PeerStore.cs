// A small persisted peer store: known peers with their addresses and when they were last seen, kept as JSON so a
// restarted node can dial the peers it knew. Format:
//
//   { "version": 1, "peers": [ { "id": "12D3KooW…", "addrs": ["/ip4/…/tcp/…"], "lastSeen": "2026-11-22T12:00:00+00:00" } ] }
//
// Addresses are stored without /p2p. Bad entries are reported (file and entry index, or the JSON line) and skipped.
using System.Text.Json;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Discovery;

/// <summary>A known peer.</summary>
/// <param name="Peer">Its id.</param>
/// <param name="Addresses">Transport addresses (without /p2p).</param>
/// <param name="LastSeen">When it was last connected or announced.</param>
public sealed record KnownPeer(PeerId Peer, IReadOnlyList<Multiaddr> Addresses, DateTimeOffset LastSeen);

/// <summary>Thread-safe peer store persisted to a JSON file.</summary>
public sealed class PeerStore
{
    /// <summary>Files larger than this are not read.</summary>
    public const long MaxFileSize = 4 * 1024 * 1024;

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<PeerId, Entry> _peers = [];

    /// <summary>Creates a store backed by <paramref name="path"/> (not read until <see cref="Load"/>).</summary>
    public PeerStore(string path, TimeProvider? time = null, int maxPeers = 1000, int maxAddressesPerPeer = 16)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        _time = time ?? TimeProvider.System;
        MaxPeers = maxPeers;
        MaxAddressesPerPeer = maxAddressesPerPeer;
    }

    /// <summary>The most peers kept; the least recently seen are dropped beyond it.</summary>
    public int MaxPeers { get; }

    /// <summary>The most addresses kept per peer (newest first).</summary>
    public int MaxAddressesPerPeer { get; }

    /// <summary>Number of known peers.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _peers.Count;
        }
    }

    /// <summary>Adds addresses for a peer (a trailing /p2p is stripped) and marks it seen now.</summary>
    public void AddOrUpdate(PeerId peer, IEnumerable<Multiaddr> addresses)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(addresses);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_peers.TryGetValue(peer, out var entry))
            {
                entry = new Entry();
                _peers[peer] = entry;
            }

            foreach (var a in addresses)
            {
                var bare = a.WithoutPeerId();
                entry.Addresses.Remove(bare);
                entry.Addresses.Insert(0, bare);
            }

            if (entry.Addresses.Count > MaxAddressesPerPeer) entry.Addresses.RemoveRange(MaxAddressesPerPeer, entry.Addresses.Count - MaxAddressesPerPeer);
            entry.LastSeen = now;
            TrimLocked();
        }
    }

    /// <summary>Marks a peer seen now, if known.</summary>
    public void MarkSeen(PeerId peer)
    {
        lock (_lock)
        {
            if (_peers.TryGetValue(peer, out var e)) e.LastSeen = _time.GetUtcNow();
        }
    }

    /// <summary>Forgets a peer.</summary>
    public bool Remove(PeerId peer)
    {
        lock (_lock) return _peers.Remove(peer);
    }

    /// <summary>A copy of the known peers, most recently seen first.</summary>
    public List<KnownPeer> Snapshot()
    {
        var list = new List<KnownPeer>();
        lock (_lock)
        {
            foreach (var (peer, e) in _peers) list.Add(new KnownPeer(peer, [.. e.Addresses], e.LastSeen));
        }

        list.Sort((a, b) => b.LastSeen.CompareTo(a.LastSeen));
        return list;
    }

    /// <summary>
    /// Reads the file, merging its peers into the store. A missing file is not an error. Problems are appended to
    /// <paramref name="errors"/> (file and line for JSON errors, file and entry number for bad entries).
    /// </summary>
    public void Load(List<DiscoveryInputError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!File.Exists(_path)) return;
        byte[] bytes;
        try
        {
            long size = new FileInfo(_path).Length;
            if (size > MaxFileSize)
            {
                errors.Add(new DiscoveryInputError(_path, 0, $"file is {size} bytes, more than the {MaxFileSize} allowed"));
                return;
            }

            bytes = File.ReadAllBytes(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new DiscoveryInputError(_path, 0, ex.Message));
            return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            errors.Add(new DiscoveryInputError(_path, (int)(ex.LineNumber ?? -1) + 1, "not valid JSON: " + ex.Message));
            return;
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("peers", out var peers)
                || peers.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new DiscoveryInputError(_path, 0, "expected an object with a \"peers\" array"));
                return;
            }

            int index = 0;
            foreach (var p in peers.EnumerateArray())
            {
                index++;
                if (!TryReadEntry(p, out var peer, out var addrs, out var lastSeen, out string? problem))
                {
                    errors.Add(new DiscoveryInputError(_path, 0, $"peers[{index - 1}]: {problem}"));
                    continue;
                }

                lock (_lock)
                {
                    if (!_peers.TryGetValue(peer!, out var entry))
                    {
                        entry = new Entry();
                        _peers[peer!] = entry;
                    }

                    foreach (var a in addrs!)
                    {
                        if (!entry.Addresses.Contains(a) && entry.Addresses.Count < MaxAddressesPerPeer) entry.Addresses.Add(a);
                    }

                    if (lastSeen > entry.LastSeen) entry.LastSeen = lastSeen;
                }
            }

            lock (_lock) TrimLocked();
        }
    }

    /// <summary>Writes the store atomically (temporary file, then rename).</summary>
    public void Save()
    {
        var peers = Snapshot();
        string? dir = Path.GetDirectoryName(Path.GetFullPath(_path));
        if (dir is not null) Directory.CreateDirectory(dir);
        string tmp = _path + ".tmp";
        using (var stream = File.Create(tmp))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteStartArray("peers");
            foreach (var p in peers)
            {
                w.WriteStartObject();
                w.WriteString("id", p.Peer.ToString());
                w.WriteStartArray("addrs");
                foreach (var a in p.Addresses) w.WriteStringValue(a.ToString());
                w.WriteEndArray();
                w.WriteString("lastSeen", p.LastSeen);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        File.Move(tmp, _path, overwrite: true);
    }

    private static bool TryReadEntry(JsonElement e, out PeerId? peer, out List<Multiaddr>? addrs, out DateTimeOffset lastSeen, out string? problem)
    {
        peer = null;
        addrs = null;
        lastSeen = default;
        problem = null;
        if (e.ValueKind != JsonValueKind.Object) return Fail("not an object", out problem);
        if (!e.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String) return Fail("missing \"id\"", out problem);
        if (!PeerId.TryParse(id.GetString(), out peer) || peer is null) return Fail($"\"{id.GetString()}\" is not a peer id", out problem);
        addrs = [];
        if (e.TryGetProperty("addrs", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in list.EnumerateArray())
            {
                if (a.ValueKind != JsonValueKind.String) return Fail($"address {a} is not a string", out problem);
                if (!Multiaddr.TryParse(a.GetString()!, out var ma, out string? err) || ma is null)
                {
                    return Fail($"bad address {a}: {err}", out problem);
                }

                addrs.Add(ma.WithoutPeerId());
            }
        }

        if (e.TryGetProperty("lastSeen", out var ls) && (ls.ValueKind != JsonValueKind.String || !ls.TryGetDateTimeOffset(out lastSeen)))
        {
            return Fail("bad \"lastSeen\"", out problem);
        }

        return true;
    }

    private static bool Fail(string message, out string? problem)
    {
        problem = message;
        return false;
    }

    private void TrimLocked()
    {
        if (_peers.Count <= MaxPeers) return;
        var byAge = new List<KeyValuePair<PeerId, Entry>>(_peers);
        byAge.Sort((a, b) => a.Value.LastSeen.CompareTo(b.Value.LastSeen));
        for (int i = 0; i < byAge.Count - MaxPeers; i++) _peers.Remove(byAge[i].Key);
    }

    private sealed class Entry
    {
        public List<Multiaddr> Addresses { get; } = [];

        public DateTimeOffset LastSeen { get; set; }
    }
}

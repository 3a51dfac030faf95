// The message cache (mcache): gossipsub v1.0 §Message Cache
// (https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.0.md#message-cache).
//
//   windows: [ newest | ... | oldest ]   history_length windows; IHAVE advertises the newest history_gossip.
//   Shift() (each heartbeat) drops the oldest window and opens a new one.
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub.Router;

/// <summary>Sliding-window cache of recent messages, owned by the router loop (not thread-safe).</summary>
internal sealed class MessageCache
{
    private readonly Dictionary<MessageId, Entry> _messages = [];
    private readonly List<List<(MessageId Id, string Topic)>> _windows = [];
    private readonly int _gossip;

    public MessageCache(int historyLength, int historyGossip)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(historyGossip, historyLength);
        _gossip = historyGossip;
        for (int i = 0; i < historyLength; i++) _windows.Add([]);
    }

    public int Count => _messages.Count;

    /// <summary>Adds a validated message; false when it is already cached.</summary>
    public bool Put(MessageId id, PubsubMessage message)
    {
        if (_messages.ContainsKey(id)) return false;
        _messages[id] = new Entry(message);
        _windows[0].Add((id, message.Topic ?? ""));
        return true;
    }

    public bool TryGet(MessageId id, out PubsubMessage message)
    {
        if (_messages.TryGetValue(id, out var e))
        {
            message = e.Message;
            return true;
        }

        message = null!;
        return false;
    }

    /// <summary>
    /// Returns the message for an IWANT from <paramref name="peer"/> and counts the serve; null when it is not cached
    /// or has already been served <paramref name="maxServes"/> times to that peer (v1.1 gossip retransmission).
    /// </summary>
    public PubsubMessage? GetForPeer(MessageId id, PeerId peer, int maxServes)
    {
        if (!_messages.TryGetValue(id, out var e)) return null;
        e.Serves ??= [];
        e.Serves.TryGetValue(peer, out int n);
        if (n >= maxServes) return null;
        e.Serves[peer] = n + 1;
        return e.Message;
    }

    /// <summary>Replaces the content of <paramref name="ids"/> with the ids of the newest <c>history_gossip</c> windows for <paramref name="topic"/>.</summary>
    public void CollectGossipIds(string topic, List<MessageId> ids)
    {
        ids.Clear();
        for (int i = 0; i < _gossip; i++)
        {
            foreach (var (id, t) in _windows[i])
            {
                if (string.Equals(t, topic, StringComparison.Ordinal)) ids.Add(id);
            }
        }
    }

    /// <summary>Drops the oldest window and opens a new one.</summary>
    public void Shift()
    {
        var last = _windows[^1];
        foreach (var (id, _) in last) _messages.Remove(id);
        last.Clear();
        _windows.RemoveAt(_windows.Count - 1);
        _windows.Insert(0, last);
    }

    private sealed class Entry(PubsubMessage message)
    {
        public PubsubMessage Message { get; } = message;

        public Dictionary<PeerId, int>? Serves { get; set; }
    }
}

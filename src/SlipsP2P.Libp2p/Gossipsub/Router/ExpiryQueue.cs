namespace SlipsP2P.Libp2p.Gossipsub.Router;

/// <summary>
/// A FIFO of (key, expiry) pairs in chunks of fixed size. A <see cref="Queue{T}"/> grows by doubling one array, which
/// past ~3,500 entries lands on the large object heap and so brings on full collections while a burst fills the seen
/// cache; chunks of 1,024 entries stay small and are recycled. Owned by the router loop (not thread-safe).
/// </summary>
internal sealed class ExpiryQueue<TKey>
{
    private const int ChunkSize = 1024;
    private Chunk _head;
    private Chunk _tail;
    private Chunk? _spare;
    private int _headIndex;
    private int _tailIndex;

    public ExpiryQueue()
    {
        _head = _tail = new Chunk();
    }

    public int Count { get; private set; }

    public void Enqueue(TKey key, long expires)
    {
        if (_tailIndex == ChunkSize)
        {
            var next = _spare ?? new Chunk();
            _spare = null;
            _tail.Next = next;
            _tail = next;
            _tailIndex = 0;
        }

        _tail.Items[_tailIndex++] = (key, expires);
        Count++;
    }

    public bool TryPeek(out (TKey Key, long Expires) head)
    {
        if (Count == 0)
        {
            head = default;
            return false;
        }

        head = _head.Items[_headIndex];
        return true;
    }

    public void Dequeue()
    {
        if (Count == 0) throw new InvalidOperationException("the queue is empty");
        _head.Items[_headIndex++] = default;
        Count--;
        if (_headIndex == ChunkSize)
        {
            var done = _head;
            _head = done.Next ?? done;
            done.Next = null;
            if (!ReferenceEquals(done, _head)) _spare = done;
            _headIndex = 0;
        }

        if (Count == 0)
        {
            // Start over at the beginning of the current chunk.
            _tail = _head;
            _head.Next = null;
            _headIndex = _tailIndex = 0;
        }
    }

    public void Clear()
    {
        while (Count > 0) Dequeue();
    }

    private sealed class Chunk
    {
        public (TKey Key, long Expires)[] Items { get; } = new (TKey, long)[ChunkSize];

        public Chunk? Next { get; set; }
    }
}

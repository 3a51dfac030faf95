// Inbound backpressure for one peer: the peer's read loop takes one credit per received message before handing the
// RPC to the router; the router loop gives credits back once each message is verified, found a duplicate or dropped.
// Only read loops ever wait here, never the router loop or the verification workers, so a full budget slows the
// sending peer (through yamux's window and TCP) instead of growing queues or deadlocking the router.
namespace SlipsP2P.Libp2p.Gossipsub.Router;

/// <summary>A per-peer budget of received messages that the router has not finished with.</summary>
internal sealed class InboundCredits
{
    private readonly Lock _lock = new();
    private readonly int _limit;
    private int _inFlight;
    private bool _closed;
    private TaskCompletionSource? _released;

    public InboundCredits(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
    }

    /// <summary>Messages admitted and not yet given back.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock) return _inFlight;
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> credits, waiting while they do not fit the budget. A count larger than the whole
    /// budget (one big RPC) is admitted alone, once nothing else is in flight, so what one peer has in flight never
    /// exceeds the budget plus one RPC's messages. Returns the credits taken (0 once closed); true in
    /// <paramref name="waited"/> when it had to wait.
    /// </summary>
    public ValueTask<int> AcquireAsync(int count, CancellationToken cancellationToken, out bool waited)
    {
        int n = Math.Max(count, 0);
        lock (_lock)
        {
            if (_closed || n == 0)
            {
                waited = false;
                return ValueTask.FromResult(0);
            }

            if (Fits(n))
            {
                _inFlight += n;
                waited = false;
                return ValueTask.FromResult(n);
            }
        }

        waited = true;
        return AcquireSlowAsync(this, n, cancellationToken);
    }

    /// <summary>Gives back <paramref name="count"/> credits and wakes waiting read loops.</summary>
    public void Release(int count)
    {
        if (count <= 0) return;
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _inFlight = Math.Max(0, _inFlight - count);
            wake = _released;
            _released = null;
        }

        wake?.TrySetResult();
    }

    /// <summary>The peer is gone: waiting read loops are let through and later acquisitions take nothing.</summary>
    public void Close()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _closed = true;
            _inFlight = 0;
            wake = _released;
            _released = null;
        }

        wake?.TrySetResult();
    }

    private bool Fits(int n) => _inFlight == 0 || _inFlight + n <= _limit;

    private static async ValueTask<int> AcquireSlowAsync(InboundCredits self, int n, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (self._lock)
            {
                if (self._closed) return 0;
                if (self.Fits(n))
                {
                    self._inFlight += n;
                    return n;
                }

                self._released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = self._released.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

namespace SlipsP2P.Detection.ThreatIntelligence;

/// <summary>
/// The store detection reads, swappable while detection runs: the refresher builds a new <see cref="IocStore"/> off
/// the detection thread and publishes it with one reference write, so detection never stops or locks.
/// </summary>
public sealed class IocSource
{
    private IocStore _current;

    /// <summary>Starts with <paramref name="initial"/>.</summary>
    public IocSource(IocStore initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = initial;
    }

    /// <summary>The store in force.</summary>
    public IocStore Current => Volatile.Read(ref _current);

    /// <summary>Times a new store was published.</summary>
    public int Generation { get; private set; }

    /// <summary>Publishes a new store.</summary>
    public void Publish(IocStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Volatile.Write(ref _current, store);
        Generation++;
    }
}

/// <summary>
/// Refreshes feeds on a schedule for a running node: every period it updates the feeds (conditional requests),
/// reloads the store and publishes it. Driven by a <see cref="TimeProvider"/> so tests move time by hand.
/// </summary>
public sealed class FeedRefresher
{
    private readonly IocSource _source;
    private readonly Func<CancellationToken, Task<IocStore>> _refresh;
    private readonly TimeSpan _period;
    private readonly TimeProvider _time;
    private readonly Func<IocStore, Task>? _published;

    /// <summary>
    /// Creates a refresher that runs <paramref name="refresh"/> every <paramref name="period"/> and, once a new store
    /// is in force, calls <paramref name="published"/> with it (so what it reports is already true for detection).
    /// </summary>
    public FeedRefresher(IocSource source, Func<CancellationToken, Task<IocStore>> refresh, TimeSpan period, TimeProvider time,
        Func<IocStore, Task>? published = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(refresh);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _source = source;
        _refresh = refresh;
        _period = period;
        _time = time;
        _published = published;
    }

    /// <summary>Messages of failed refreshes (the last 20).</summary>
    public Queue<string> Failures { get; } = new();

    /// <summary>Runs until cancelled; a failed refresh keeps the store in force.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    var store = await _refresh(cancellationToken);
                    _source.Publish(store);
                    if (_published is not null) await _published(store);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    if (Failures.Count >= 20) Failures.Dequeue();
                    Failures.Enqueue($"feed refresh failed: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal end.
        }
    }
}

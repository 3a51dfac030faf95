using System.Runtime.InteropServices;

namespace SlipsP2P.Cli.Commands;

/// <summary>
/// Ctrl-C and SIGTERM during an analysis: the first signal cancels <see cref="Token"/>, so the run stops cleanly
/// (what was read is analysed, the alerts and the summary are written); a second one ends the process at once, as
/// does any signal after <see cref="Dispose"/>.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _onInt;
    private readonly PosixSignalRegistration _onTerm;
    private int _signals;

    public StopSignals()
    {
        _onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first signal (or by <see cref="CancelAfter"/>).</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Whether a signal asked to stop.</summary>
    public bool Signalled => Volatile.Read(ref _signals) > 0;

    /// <summary>Also stops after <paramref name="delay"/> (live capture's --duration).</summary>
    public void CancelAfter(TimeSpan delay) => _stop.CancelAfter(delay);

    public void Dispose()
    {
        // From here on a signal ends the process as usual.
        Interlocked.Add(ref _signals, 2);
        _onInt.Dispose();
        _onTerm.Dispose();
        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) > 1) return;
        context.Cancel = true;
        ThreadPool.QueueUserWorkItem(static s => Cancel((CancellationTokenSource)s!), _stop);
    }

    private static void Cancel(CancellationTokenSource stop)
    {
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended meanwhile.
        }
    }
}

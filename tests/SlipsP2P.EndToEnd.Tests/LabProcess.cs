using System.Diagnostics;
using System.Globalization;
using SlipsP2P.Testing;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// A long-running process a lab test starts itself (argus, ra): its standard output collected line by line, a way to
/// wait for a condition on those lines, and a stop by signal to its own pid (never by name), killed if it lingers.
/// </summary>
internal sealed class LabProcess : IDisposable
{
    /// <summary>A bound on what is kept of a process's output (the test's flows are a few hundred lines).</summary>
    private const int MaxLines = 200_000;

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private Func<IReadOnlyList<string>, bool>? _condition;
    private TaskCompletionSource<bool>? _conditionMet;

    private LabProcess(Process process) => _process = process;

    /// <summary>The process id (that of the program itself: <c>ip netns exec</c> execs it).</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has ended; null while it runs.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Standard error so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_gate) return _stderr.ToString();
        }
    }

    /// <summary>Standard output so far, as text.</summary>
    public string Stdout
    {
        get
        {
            lock (_gate) return string.Join('\n', _lines);
        }
    }

    /// <summary>Standard output so far, one line per element.</summary>
    public string[] Lines()
    {
        lock (_gate) return [.. _lines];
    }

    public static LabProcess Start(string file, IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi };
        var lab = new LabProcess(process);
        process.OutputDataReceived += (_, e) => lab.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lab._gate)
            {
                if (lab._stderr.Length < 64 * 1024) lab._stderr.AppendLine(e.Data);
            }
        };
        if (!process.Start()) throw new InvalidOperationException("could not start " + file);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return lab;
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds over the output lines, the process ends, or
    /// <paramref name="timeout"/> passes; true only in the first case.
    /// </summary>
    public async Task<bool> WaitForOutputAsync(Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var met = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition(_lines)) return true;
            _condition = condition;
            _conditionMet = met;
        }

        try
        {
            var exited = _process.WaitForExitAsync(cancellationToken);
            var first = await Task.WhenAny(met.Task, exited).WaitAsync(timeout, cancellationToken);
            return first == met.Task;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            lock (_gate)
            {
                _condition = null;
                _conditionMet = null;
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> (INT, TERM ...) to the process; kills it when it has not ended after <paramref name="grace"/>.</summary>
    /// <returns>True when it ended on the signal.</returns>
    public async Task<bool> StopAsync(string signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (_process.HasExited) return true;
        Requires.Run("kill", "-" + signal + " " + Id.ToString(CultureInfo.InvariantCulture), TimeSpan.FromSeconds(10));
        return await WaitForExitAsync(grace, cancellationToken);
    }

    /// <summary>Waits for the process to end by itself; kills it when it has not after <paramref name="timeout"/>.</summary>
    /// <returns>True when it ended by itself.</returns>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            // WaitForExitAsync also waits for the redirected output to be read to its end.
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            if (_lines.Count >= MaxLines) return;
            _lines.Add(line);
            if (_condition is not null && _condition(_lines)) _conditionMet?.TrySetResult(true);
        }
    }
}

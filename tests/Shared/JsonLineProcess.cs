using System.Diagnostics;
using System.Text.Json;

namespace SlipsP2P.Testing;

/// <summary>
/// A child process that prints JSON objects one per line (a <c>slips p2p</c> node, a js peer): its events, a stdin
/// channel, and waits on them. Killed (whole tree) on dispose, so nothing outlives the test.
/// </summary>
internal abstract class JsonLineProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<JsonElement> _events = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _sync = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected JsonLineProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public string PeerId { get; private set; } = string.Empty;

    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Starts <paramref name="psi"/> with its standard streams redirected and waits for its listening event.</summary>
    protected static async Task<T> StartAsync<T>(ProcessStartInfo psi, Func<Process, T> create, TimeSpan timeout)
        where T : JsonLineProcess
    {
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + psi.FileName);
        var peer = create(process);
        process.OutputDataReceived += (_, e) => peer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => peer.OnError(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var listening = await peer.WaitForAsync(e => Is(e, "listening"), timeout);
            peer.PeerId = listening.GetProperty("peerId").GetString()!;
            peer.Addresses = [.. listening.GetProperty("addrs").EnumerateArray().Select(a => a.GetString()!)];
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    public static bool Is(JsonElement e, string name) => e.TryGetProperty("event", out var v) && v.GetString() == name;

    public static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;

    public IReadOnlyList<JsonElement> Events
    {
        get
        {
            lock (_sync) return [.. _events];
        }
    }

    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).WaitAsync(TimeSpan.FromSeconds(5));
        await _process.StandardInput.FlushAsync().WaitAsync(TimeSpan.FromSeconds(5));
    }

    public void CloseStdin() => _process.StandardInput.Close();

    public void Signal(int signal)
    {
        // kill(2) on the child only: the process we started, by its id.
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process.Id}") { UseShellExecute = false });
        kill?.WaitForExit(5000);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits for the first event (past or future) matching <paramref name="predicate"/>.</summary>
    public Task<JsonElement> WaitForAsync(Func<JsonElement, bool> predicate, TimeSpan timeout) => WaitForAsync(predicate, 0, timeout);

    /// <summary>Waits for the first event at index <paramref name="skip"/> or later matching <paramref name="predicate"/>.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> predicate, int skip, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_sync)
            {
                for (int i = skip; i < _events.Count; i++)
                {
                    if (predicate(_events[i])) return _events[i];
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"{Name}: expected event not seen. Output:\n{Describe()}");
            if (_process.HasExited && !changed.IsCompleted)
            {
                try
                {
                    await changed.WaitAsync(TimeSpan.FromSeconds(1));
                }
                catch (TimeoutException)
                {
                    throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before the expected event. Output:\n{Describe()}");
                }

                continue;
            }

            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // loop reports
            }
        }
    }

    public string Describe()
    {
        lock (_sync) return string.Join('\n', _events.Select(e => e.GetRawText())) + "\nstderr:\n" + string.Join('\n', _stderr.TakeLast(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // fall through to kill
        }
        finally
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }

    private void OnError(string? line)
    {
        if (line is null) return;
        lock (_sync) _stderr.Add(line);
    }

    private void OnLine(string? line)
    {
        TaskCompletionSource changed;
        lock (_sync)
        {
            if (line is not null)
            {
                if (line.StartsWith('{'))
                {
                    try
                    {
                        using var doc = JsonDocument.Parse(line);
                        _events.Add(doc.RootElement.Clone());
                    }
                    catch (JsonException)
                    {
                        _stderr.Add("bad json on stdout: " + line);
                    }
                }
                else
                {
                    _stderr.Add("stdout: " + line);
                }
            }

            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }
}

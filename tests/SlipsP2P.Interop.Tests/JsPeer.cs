using System.Diagnostics;
using System.Text.Json;
using SlipsP2P.Testing;

namespace SlipsP2P.Interop.Tests;

/// <summary>
/// A running tests/interop-js/peer.mjs: its JSON-line events and a stdin command channel. Skips (fails in CI) when
/// node or the npm packages are missing. Killed on dispose, so nothing outlives the test.
/// </summary>
internal sealed class JsPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<JsonElement> _events = [];
    private readonly Lock _sync = new();
    private readonly List<string> _stderr = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private JsPeer(Process process)
    {
        _process = process;
    }

    public string PeerId { get; private set; } = string.Empty;

    public string ListenAddress { get; private set; } = string.Empty;

    public static async Task<JsPeer> StartAsync(string arguments)
    {
        string node = Requires.Tool("node");
        string dir = Path.Combine(Requires.RepoRoot, "tests", "interop-js");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "libp2p")))
        {
            Requires.Missing($"{dir}/node_modules is missing: run 'npm ci' in tests/interop-js (./test.sh does)");
        }

        var psi = new ProcessStartInfo(node, "peer.mjs " + arguments)
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var peer = new JsPeer(process);
        process.OutputDataReceived += (_, e) => peer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (peer._sync) peer._stderr.Add(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var listening = await peer.WaitForAsync(e => Is(e, "listening"), TimeSpan.FromSeconds(30));
        peer.PeerId = listening.GetProperty("peerId").GetString()!;
        peer.ListenAddress = listening.GetProperty("addrs")[0].GetString()!;
        return peer;
    }

    public static bool Is(JsonElement e, string name) => e.TryGetProperty("event", out var v) && v.GetString() == name;

    public static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;

    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command).WaitAsync(TimeSpan.FromSeconds(5));
        await _process.StandardInput.FlushAsync().WaitAsync(TimeSpan.FromSeconds(5));
    }

    public IReadOnlyList<JsonElement> Events
    {
        get
        {
            lock (_sync) return [.. _events];
        }
    }

    /// <summary>Waits for the first event (already received or future) matching <paramref name="predicate"/>.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_sync)
            {
                foreach (var e in _events)
                {
                    if (predicate(e)) return e;
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException("js peer did not print the expected event. Events:\n" + Describe());
            if (_process.HasExited && !changed.IsCompleted)
            {
                // Give the last stdout lines a moment to arrive, then report the exit.
                if (!await Completes(changed, TimeSpan.FromSeconds(1)))
                {
                    throw new InvalidOperationException($"js peer exited ({_process.ExitCode}) before the expected event. Events:\n" + Describe());
                }

                continue;
            }

            await Completes(changed, left);
        }
    }

    public string Describe()
    {
        lock (_sync)
        {
            return string.Join('\n', _events.Select(e => e.GetRawText())) + "\nstderr:\n" + string.Join('\n', _stderr.TakeLast(30));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await SendAsync("exit");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            // Fall through to kill.
        }
        finally
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }

    private static async Task<bool> Completes(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void OnLine(string? line)
    {
        TaskCompletionSource changed;
        lock (_sync)
        {
            if (line is null || !line.StartsWith('{'))
            {
                if (line is not null) _stderr.Add("stdout: " + line);
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed.TrySetResult();
                return;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                _events.Add(doc.RootElement.Clone());
            }
            catch (JsonException)
            {
                _stderr.Add("bad json: " + line);
            }

            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }
}

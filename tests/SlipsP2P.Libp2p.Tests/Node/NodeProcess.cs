using System.Diagnostics;
using System.Text.Json;
using SlipsP2P.Testing;

namespace SlipsP2P.Libp2p.Tests.Node;

/// <summary>
/// A child process that prints JSON objects one per line (a <c>slips p2p</c> node): its events, a stdin channel,
/// and waits on them. Killed (whole tree) on dispose, so nothing outlives the test.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<JsonElement> _events = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _sync = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NodeProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public string PeerId { get; private set; } = string.Empty;

    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The built slips.dll: SLIPS_DLL, else the CLI's build output of this configuration, else the launcher's.</summary>
    public static string SlipsDll()
    {
        string? env = Environment.GetEnvironmentVariable("SLIPS_DLL");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        string config = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string root = Requires.RepoRoot;
        string[] candidates =
        [
            Path.Combine(root, "src", "SlipsP2P.Cli", "bin", config, "net10.0", "slips.dll"),
            Path.Combine(root, "tests", "SlipsP2P.Cli.Tests", "bin", config, "net10.0", "slips.dll"),
            Path.Combine(root, ".slips-build", "slips.dll"),
        ];
        string? best = null;
        foreach (var c in candidates)
        {
            if (File.Exists(c) && (best is null || File.GetLastWriteTimeUtc(c) > File.GetLastWriteTimeUtc(best))) best = c;
        }

        if (best is null) Requires.Missing("slips.dll not built: run 'dotnet build src/SlipsP2P.Cli' (or set SLIPS_DLL)");
        return best!;
    }

    /// <summary>Starts <c>[prefix...] dotnet slips.dll p2p arguments</c> and waits for its listening event.</summary>
    public static async Task<NodeProcess> StartP2pAsync(string name, string arguments, TimeSpan timeout, string? prefix = null)
    {
        string dll = SlipsDll();
        string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var psi = prefix is null
            ? new ProcessStartInfo(dotnet, $"{dll} p2p {arguments}")
            : new ProcessStartInfo(prefix.Split(' ')[0], $"{string.Join(' ', prefix.Split(' ').Skip(1))} {dotnet} {dll} p2p {arguments}");
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + psi.FileName);
        var node = new NodeProcess(process, name);
        process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => node.OnError(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var listening = await node.WaitForAsync(e => Is(e, "listening"), timeout);
            node.PeerId = listening.GetProperty("peerId").GetString()!;
            node.Addresses = [.. listening.GetProperty("addrs").EnumerateArray().Select(a => a.GetString()!)];
            return node;
        }
        catch
        {
            await node.DisposeAsync();
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

using System.Text;

namespace SlipsP2P.Libp2p.Tests.Node;

/// <summary>Two <c>slips p2p</c> processes on loopback, driven through stdin and read through their JSON lines.</summary>
public sealed class P2pCliTests : IAsyncLifetime
{
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(60);
    private readonly List<NodeProcess> _processes = [];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "slips-p2p-cli-" + Guid.NewGuid().ToString("N"));

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes) await p.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<NodeProcess> StartAsync(string name, string arguments, bool native = false)
    {
        var p = await NodeProcess.StartP2pAsync(name, arguments, s_step, native: native);
        _processes.Add(p);
        return p;
    }

    private static bool MessageFrom(System.Text.Json.JsonElement e, string author, string text)
        => NodeProcess.Is(e, "message") && NodeProcess.Str(e, "from") == author && NodeProcess.Str(e, "topic") == "chat"
           && Encoding.UTF8.GetString(Convert.FromBase64String(NodeProcess.Str(e, "data"))) == text;

    /// <summary>With <paramref name="native"/>, both nodes are the native slips ./slips builds (Native AOT: Noise over
    /// NSec and libsodium, yamux, gossipsub, the key file, signals, compiled ahead of time).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task P2p_TwoProcessesOnLoopback_ExchangeLinesBothWaysIncludingEmpty(bool native)
    {
        // Arrange: a listens with a key file; b dials a.
        string key = Path.Combine(_dir, "a.key");
        var a = await StartAsync("a", $"--topic chat --key {key}", native);
        Assert.EndsWith("/p2p/" + a.PeerId, a.Addresses[0], StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        var b = await StartAsync("b", $"--topic chat --dial {a.Addresses[0]}", native);
        await a.WaitForAsync(e => NodeProcess.Is(e, "connected") && NodeProcess.Str(e, "peerId") == b.PeerId, s_step);
        await a.WaitForAsync(e => NodeProcess.Is(e, "subscribed") && NodeProcess.Str(e, "peerId") == b.PeerId && NodeProcess.Str(e, "topic") == "chat", s_step);
        await b.WaitForAsync(e => NodeProcess.Is(e, "subscribed") && NodeProcess.Str(e, "peerId") == a.PeerId && NodeProcess.Str(e, "topic") == "chat", s_step);

        // Act
        await a.SendLineAsync("hello from a ✓");
        await b.SendLineAsync("");
        await b.SendLineAsync("hello from b");

        // Assert
        await b.WaitForAsync(e => MessageFrom(e, a.PeerId, "hello from a ✓"), s_step);
        await a.WaitForAsync(e => MessageFrom(e, b.PeerId, ""), s_step);
        await a.WaitForAsync(e => MessageFrom(e, b.PeerId, "hello from b"), s_step);

        // EOF on b's stdin stops it cleanly; a sees it go.
        b.CloseStdin();
        Assert.Equal(0, await b.WaitForExitAsync(s_step));
        await b.WaitForAsync(e => NodeProcess.Is(e, "stopped"), s_step);
        await a.WaitForAsync(e => NodeProcess.Is(e, "disconnected") && NodeProcess.Str(e, "peerId") == b.PeerId, s_step);

        // SIGTERM stops a cleanly too, and its key file gives the same identity next time.
        a.Signal(15);
        Assert.Equal(0, await a.WaitForExitAsync(s_step));
        var again = await StartAsync("a2", $"--key {key}", native);
        Assert.Equal(a.PeerId, again.PeerId);
    }

    [Fact]
    public async Task P2p_UnreachableDial_PrintsErrorEventWithoutStackTrace()
    {
        var a = await StartAsync("a", "--topic chat --dial /ip4/127.0.0.1/tcp/1");
        var error = await a.WaitForAsync(e => NodeProcess.Is(e, "error"), s_step);
        Assert.Contains("/ip4/127.0.0.1/tcp/1", NodeProcess.Str(error, "message"), StringComparison.Ordinal);
        a.CloseStdin();
        Assert.Equal(0, await a.WaitForExitAsync(s_step));
        Assert.DoesNotContain("   at ", a.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task P2p_BadMultiaddrOrCorruptKey_ExitsNonZeroWithClearMessage()
    {
        string dll = NodeProcess.SlipsDll();
        var bad = SlipsP2P.Testing.Requires.Run("dotnet", $"{dll} p2p --listen /ip4/nonsense/tcp/1", s_step, stdin: "");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--listen '/ip4/nonsense/tcp/1'", bad.Stderr, StringComparison.Ordinal);

        string key = Path.Combine(_dir, "corrupt.key");
        await File.WriteAllTextAsync(key, "garbage", TestContext.Current.CancellationToken);
        var corrupt = SlipsP2P.Testing.Requires.Run("dotnet", $"{dll} p2p --key {key}", s_step, stdin: "");
        Assert.Equal(1, corrupt.ExitCode);
        Assert.Contains(key, corrupt.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"event\":\"error\"", corrupt.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", corrupt.Stderr + corrupt.Stdout, StringComparison.Ordinal);
    }
}

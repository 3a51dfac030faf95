using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Tests;

/// <summary>Collects what a source emits.</summary>
internal sealed class CollectingSink : IEventSink
{
    public List<NetEvent> Events { get; } = new();

    public void OnEvent(NetEvent record) => Events.Add(record);

    /// <summary>Runs <paramref name="source"/> to the end (on a worker, bounded by a timeout) and returns the sink.</summary>
    public static CollectingSink RunAll(IEventSource source, int timeoutSeconds = 60)
    {
        var sink = new CollectingSink();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var task = Task.Run(() => source.Run(sink, cts.Token), cts.Token);
        try
        {
            task.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds), TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            cts.Cancel();
            throw;
        }

        return sink;
    }
}

/// <summary>Temporary files for bad-input tests.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "slipsp2p-ingest-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name, string content)
    {
        string p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

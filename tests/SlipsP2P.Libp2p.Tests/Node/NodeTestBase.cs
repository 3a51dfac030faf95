using SlipsP2P.Libp2p.Node;

namespace SlipsP2P.Libp2p.Tests.Node;

/// <summary>
/// What tests that start several of our nodes share: a temporary folder for their keys and stores, the nodes to
/// dispose at the end, and the test's cancellation token.
/// </summary>
public abstract class NodeTestBase : IAsyncLifetime
{
    private readonly List<Libp2pNode> _nodes = [];

    protected NodeTestBase(string name) =>
        Folder = Path.Combine(Path.GetTempPath(), "slips-" + name + "-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>The test's own temporary folder, deleted after the test.</summary>
    protected string Folder { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Makes a node that is disposed when the test ends.</summary>
    protected Libp2pNode Track(Libp2pNode node)
    {
        _nodes.Add(node);
        return node;
    }

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}

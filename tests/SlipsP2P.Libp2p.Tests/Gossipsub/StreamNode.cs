using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Gossipsub.Streams;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

/// <summary>A started router with its own key and a <see cref="PubsubStreamSender"/>, to be joined to others by pipes.</summary>
internal sealed class StreamNode : IAsyncDisposable
{
    private static readonly TimeSpan s_disposeTimeout = TimeSpan.FromSeconds(60);

    public StreamNode(TimeProvider time, GossipsubOptions? options = null, PubsubStreamSender? sender = null)
    {
        Key = Ed25519KeyPair.Generate();
        Sender = sender ?? new PubsubStreamSender();
        Router = new GossipsubRouter(Key, Sender, options ?? new GossipsubOptions(), time);
        Sender.Bind(Router);
        Router.Start();
    }

    public Ed25519KeyPair Key { get; }

    public PubsubStreamSender Sender { get; }

    public GossipsubRouter Router { get; }

    public async ValueTask DisposeAsync()
    {
        await Router.DisposeAsync().AsTask().WaitAsync(s_disposeTimeout);
        await Sender.DisposeAsync().AsTask().WaitAsync(s_disposeTimeout);
        Key.Dispose();
    }
}

using System.Threading.Channels;

namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>
/// A local subscription to a topic. Validated messages arrive on <see cref="Messages"/>; when the reader falls behind
/// by more than the queue capacity, messages are dropped and counted in <see cref="Dropped"/>.
/// </summary>
public sealed class Subscription
{
    private readonly Channel<ReceivedMessage> _channel;
    private long _dropped;

    internal Subscription(string topic, int capacity)
    {
        Topic = topic;
        _channel = Channel.CreateBounded<ReceivedMessage>(
            new BoundedChannelOptions(capacity) { SingleWriter = true, SingleReader = false, FullMode = BoundedChannelFullMode.DropWrite },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>The topic.</summary>
    public string Topic { get; }

    /// <summary>Delivered messages.</summary>
    public ChannelReader<ReceivedMessage> Messages => _channel.Reader;

    /// <summary>Messages dropped because the reader was too slow.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    internal void Deliver(ReceivedMessage message) => _channel.Writer.TryWrite(message);

    internal void Complete() => _channel.Writer.TryComplete();
}

using System.Net;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub.Router;

/// <summary>Everything that changes router state arrives as one of these, drained by the single router loop.</summary>
internal abstract class RouterEvent;

internal sealed class PeerAddedEvent(PeerId peer, PubsubProtocol protocol, bool outbound, IPAddress? address) : RouterEvent
{
    public PeerId Peer { get; } = peer;

    public PubsubProtocol Protocol { get; } = protocol;

    public bool Outbound { get; } = outbound;

    public IPAddress? Address { get; } = address;
}

internal sealed class PeerRemovedEvent(PeerId peer) : RouterEvent
{
    public PeerId Peer { get; } = peer;
}

internal sealed class RpcReceivedEvent(PeerId peer, PubsubRpc rpc, InboundCredits? credits = null, int held = 0) : RouterEvent
{
    public PeerId Peer { get; } = peer;

    public PubsubRpc Rpc { get; } = rpc;

    /// <summary>The read loop's budget the RPC's messages were admitted under, if any.</summary>
    public InboundCredits? Credits { get; } = credits;

    /// <summary>Credits taken for this RPC; the router gives back each one when it is done with the message.</summary>
    public int Held { get; } = held;
}

internal sealed class VerifiedEvent(VerifyJob job, ValidationResult result, PeerId? author) : RouterEvent
{
    public VerifyJob Job { get; } = job;

    public ValidationResult Result { get; } = result;

    public PeerId? Author { get; } = author;
}

internal sealed class PublishEvent(MessageId id, PubsubMessage message, TaskCompletionSource<PublishResult> completion) : RouterEvent
{
    public MessageId Id { get; } = id;

    public PubsubMessage Message { get; } = message;

    public TaskCompletionSource<PublishResult> Completion { get; } = completion;
}

internal sealed class JoinEvent(string topic, Subscription subscription) : RouterEvent
{
    public string Topic { get; } = topic;

    public Subscription Subscription { get; } = subscription;
}

internal sealed class LeaveEvent(string topic) : RouterEvent
{
    public string Topic { get; } = topic;
}

internal sealed class HeartbeatEvent : RouterEvent
{
    public static readonly HeartbeatEvent Instance = new();
}

internal sealed class BarrierEvent(TaskCompletionSource completion) : RouterEvent
{
    public TaskCompletionSource Completion { get; } = completion;
}

internal sealed class SnapshotEvent(TaskCompletionSource<GossipsubSnapshot> completion) : RouterEvent
{
    public TaskCompletionSource<GossipsubSnapshot> Completion { get; } = completion;
}

/// <summary>A received message waiting for signature verification and validation off the loop.</summary>
internal sealed class VerifyJob(MessageId id, PubsubMessage message, PeerId source, string topic)
{
    public MessageId Id { get; } = id;

    public PubsubMessage Message { get; } = message;

    public PeerId Source { get; } = source;

    public string Topic { get; } = topic;

    /// <summary>The budget holding one credit for this message until it is verified (router loop only).</summary>
    public InboundCredits? Credits { get; set; }

    /// <summary>Other peers that delivered the same id while it was being verified (router loop only).</summary>
    public List<PeerId>? AlsoFrom { get; set; }
}

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

/// <summary>Every job of <see cref="Batch"/> has been verified (posted by the verifier that finished the last one).</summary>
internal sealed class VerifiedBatchEvent(VerifyBatch batch) : RouterEvent
{
    public VerifyBatch Batch { get; } = batch;
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

/// <summary>
/// Received messages handed to the verifiers together, in the order the router took them in. Any number of verifiers
/// work on one batch at once, each claiming the next unverified job; the one that finishes the last job posts the
/// batch back. The router applies the results of a batch, and of successive batches, in that same order, so that
/// messages of one peer are delivered and forwarded in the order they arrived even though they are verified in
/// parallel.
/// </summary>
internal sealed class VerifyBatch(VerifyJob[] jobs)
{
    private int _next = -1;
    private int _remaining = jobs.Length;

    public VerifyJob[] Jobs { get; } = jobs;

    /// <summary>The verdict of each job, by index (written by the verifier that claimed it).</summary>
    public ValidationResult[] Results { get; } = new ValidationResult[jobs.Length];

    /// <summary>The signer of each valid job, by index.</summary>
    public PeerId?[] Authors { get; } = new PeerId?[jobs.Length];

    /// <summary>Set by the router loop when the batch's event arrived (router loop only).</summary>
    public bool Completed { get; set; }

    /// <summary>Claims the next job to verify; false when every job has been claimed.</summary>
    public bool TryClaim(out int index)
    {
        index = Interlocked.Increment(ref _next);
        return index < Jobs.Length;
    }

    /// <summary>Records that a claimed job is done; true for the call that finished the batch.</summary>
    public bool Finish() => Interlocked.Decrement(ref _remaining) == 0;
}
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>The application's verdict on a message (gossipsub v1.1 §Extended Validators).</summary>
public enum ValidationResult
{
    /// <summary>Deliver and forward.</summary>
    Accept,

    /// <summary>Invalid: drop and penalise the sender (P4).</summary>
    Reject,

    /// <summary>Drop without penalty.</summary>
    Ignore,
}

/// <summary>A validated message delivered to a local subscription.</summary>
/// <param name="Id">Its message id.</param>
/// <param name="Topic">Its topic.</param>
/// <param name="Author">The signer (from).</param>
/// <param name="ReceivedFrom">The peer that forwarded it to us.</param>
/// <param name="Message">The wire message.</param>
public sealed record ReceivedMessage(MessageId Id, string Topic, PeerId Author, PeerId ReceivedFrom, PubsubMessage Message)
{
    /// <summary>The payload (empty when absent).</summary>
    public ReadOnlyMemory<byte> Data => Message.Data ?? [];
}

/// <summary>Result of a publish.</summary>
/// <param name="Id">The message id.</param>
/// <param name="Peers">How many peers it was sent to (0: nobody is subscribed yet).</param>
public readonly record struct PublishResult(MessageId Id, int Peers);

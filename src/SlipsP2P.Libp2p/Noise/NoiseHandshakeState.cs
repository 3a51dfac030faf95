// Noise_XX_25519_ChaChaPoly_SHA256: https://noiseprotocol.org/noise.html#handshake-patterns
//
//   XX:
//     -> e
//     <- e, ee, s, es
//     -> s, se
//
// libp2p profile (specs noise/README.md): empty prologue; payloads only in messages 2 and 3.
using System.Text;

namespace SlipsP2P.Libp2p.Noise;

/// <summary>
/// The Noise XX handshake state machine with injectable static, ephemeral keys and prologue (so the cacophony
/// vectors can drive it). Synchronous and transport-free: feed it messages, take messages out.
/// </summary>
public sealed class NoiseHandshakeState : IDisposable
{
    /// <summary>The full Noise protocol name; exactly 32 bytes, so it becomes h without hashing.</summary>
    public const string ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

    private readonly NoiseSymmetricState _symmetric;
    private readonly NoiseKeyPair _s;
    private readonly bool _ownsEphemeral;
    private NoiseKeyPair? _e;
    private byte[]? _re;
    private byte[]? _rs;
    private int _messageIndex;

    /// <summary>Creates a handshake. <paramref name="ephemeral"/> is injected only by tests; otherwise it is generated.</summary>
    public NoiseHandshakeState(bool initiator, ReadOnlySpan<byte> prologue, NoiseKeyPair staticKey, NoiseKeyPair? ephemeral = null)
    {
        ArgumentNullException.ThrowIfNull(staticKey);
        IsInitiator = initiator;
        _s = staticKey;
        _e = ephemeral;
        _ownsEphemeral = ephemeral is null;
        _symmetric = new NoiseSymmetricState(Encoding.ASCII.GetBytes(ProtocolName));

        // libp2p gotcha: MixHash(prologue) happens even when the prologue is empty.
        _symmetric.MixHash(prologue);
    }

    /// <summary>True for the side that sends message 1.</summary>
    public bool IsInitiator { get; }

    /// <summary>True after all three messages.</summary>
    public bool IsComplete => _messageIndex >= 3;

    /// <summary>True when the next step is <see cref="WriteMessage"/> (false: <see cref="ReadMessage"/>).</summary>
    public bool IsMyTurn => !IsComplete && ((_messageIndex % 2 == 0) == IsInitiator);

    /// <summary>The remote static key, once received (message 2 for the initiator, 3 for the responder).</summary>
    public ReadOnlySpan<byte> RemoteStaticKey => _rs;

    /// <summary>The handshake hash h (channel binding).</summary>
    public ReadOnlySpan<byte> HandshakeHash => _symmetric.HandshakeHash;

    /// <summary>The number of bytes the next written message takes for a payload of <paramref name="payloadLength"/>.</summary>
    public int GetMessageLength(int payloadLength) => _messageIndex switch
    {
        0 => NoiseKeyPair.KeyLength + payloadLength,
        1 => NoiseKeyPair.KeyLength + NoiseKeyPair.KeyLength + NoiseCipherState.TagLength + payloadLength + NoiseCipherState.TagLength,
        _ => NoiseKeyPair.KeyLength + NoiseCipherState.TagLength + payloadLength + NoiseCipherState.TagLength,
    };

    /// <summary>Writes the next handshake message carrying <paramref name="payload"/>.</summary>
    public byte[] WriteMessage(ReadOnlySpan<byte> payload)
    {
        if (!IsMyTurn) throw new InvalidOperationException("not this side's turn to write a Noise handshake message");
        var message = new byte[GetMessageLength(payload.Length)];
        int n = 0;
        switch (_messageIndex)
        {
            case 0: // -> e
                _e ??= NoiseKeyPair.Generate();
                _e.PublicKey.CopyTo(message, 0);
                _symmetric.MixHash(_e.PublicKey);
                n = NoiseKeyPair.KeyLength;
                break;
            case 1: // <- e, ee, s, es
                _e ??= NoiseKeyPair.Generate();
                _e.PublicKey.CopyTo(message, 0);
                _symmetric.MixHash(_e.PublicKey);
                n = NoiseKeyPair.KeyLength;
                MixDh(_e, _re!);
                n += _symmetric.EncryptAndHash(_s.PublicKey, message.AsSpan(n));
                MixDh(_s, _re!);
                break;
            case 2: // -> s, se
                n = _symmetric.EncryptAndHash(_s.PublicKey, message);
                MixDh(_s, _re!);
                break;
        }

        n += _symmetric.EncryptAndHash(payload, message.AsSpan(n));
        _messageIndex++;
        return n == message.Length ? message : message[..n];
    }

    /// <summary>Reads the next handshake message and returns its payload; throws <see cref="NoiseException"/> on failure.</summary>
    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        if (IsComplete || IsMyTurn) throw new InvalidOperationException("not this side's turn to read a Noise handshake message");
        const int sealedKey = NoiseKeyPair.KeyLength + NoiseCipherState.TagLength;
        switch (_messageIndex)
        {
            case 0: // -> e
                if (message.Length < NoiseKeyPair.KeyLength) throw new NoiseException("Noise message 1 shorter than an ephemeral key");
                _re = message[..NoiseKeyPair.KeyLength].ToArray();
                _symmetric.MixHash(_re);
                message = message[NoiseKeyPair.KeyLength..];
                break;
            case 1: // <- e, ee, s, es
                if (message.Length < NoiseKeyPair.KeyLength + sealedKey + NoiseCipherState.TagLength)
                {
                    throw new NoiseException("Noise message 2 too short");
                }

                _re = message[..NoiseKeyPair.KeyLength].ToArray();
                _symmetric.MixHash(_re);
                MixDh(_e!, _re);
                _rs = new byte[NoiseKeyPair.KeyLength];
                _symmetric.DecryptAndHash(message.Slice(NoiseKeyPair.KeyLength, sealedKey), _rs);
                MixDh(_e!, _rs);
                message = message[(NoiseKeyPair.KeyLength + sealedKey)..];
                break;
            case 2: // -> s, se
                if (message.Length < sealedKey + NoiseCipherState.TagLength) throw new NoiseException("Noise message 3 too short");
                _rs = new byte[NoiseKeyPair.KeyLength];
                _symmetric.DecryptAndHash(message[..sealedKey], _rs);
                MixDh(_e!, _rs);
                message = message[sealedKey..];
                break;
        }

        var payload = new byte[_symmetric.HasKey ? message.Length - NoiseCipherState.TagLength : message.Length];
        _symmetric.DecryptAndHash(message, payload);
        _messageIndex++;
        return payload;
    }

    /// <summary>
    /// After the handshake: the (send, receive) cipher states. Split gives (c1, c2); the initiator sends with c1.
    /// </summary>
    public (NoiseCipherState Send, NoiseCipherState Receive) Split()
    {
        if (!IsComplete) throw new InvalidOperationException("Noise handshake not complete");
        var (c1, c2) = _symmetric.Split();
        return IsInitiator ? (c1, c2) : (c2, c1);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _symmetric.Dispose();
        if (_ownsEphemeral) _e?.Dispose();
    }

    private void MixDh(NoiseKeyPair local, ReadOnlySpan<byte> remote)
    {
        using var shared = local.Agree(remote);
        _symmetric.MixKey(shared);
    }
}

// X25519 key pairs for Noise (DH = 25519): https://noiseprotocol.org/noise.html#the-25519-dh-functions
using NSec.Cryptography;

namespace SlipsP2P.Libp2p.Noise;

/// <summary>An X25519 key pair used as a Noise static or ephemeral key. Dispose to wipe the private half.</summary>
public sealed class NoiseKeyPair : IDisposable
{
    /// <summary>DHLEN for 25519.</summary>
    public const int KeyLength = 32;

    private static readonly KeyAgreementAlgorithm s_x25519 = KeyAgreementAlgorithm.X25519;

    private NoiseKeyPair(Key key)
    {
        Key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The raw 32-byte public key (never an SPKI encoding).</summary>
    public byte[] PublicKey { get; }

    internal Key Key { get; }

    /// <summary>A fresh random key pair.</summary>
    public static NoiseKeyPair Generate() => new(Key.Create(s_x25519));

    /// <summary>A key pair from a raw 32-byte private key (for test vectors).</summary>
    public static NoiseKeyPair FromPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeyLength) throw new ArgumentException("an X25519 private key is 32 bytes", nameof(privateKey));
        return new NoiseKeyPair(Key.Import(s_x25519, privateKey, KeyBlobFormat.RawPrivateKey));
    }

    /// <summary>DH(this, remotePublic) as an NSec shared secret; throws for low-order points (all-zero output).</summary>
    internal SharedSecret Agree(ReadOnlySpan<byte> remotePublic)
    {
        if (remotePublic.Length != KeyLength) throw new NoiseException("remote X25519 key is not 32 bytes");
        if (!NSec.Cryptography.PublicKey.TryImport(s_x25519, remotePublic, KeyBlobFormat.RawPublicKey, out var pk) || pk is null)
        {
            throw new NoiseException("remote X25519 key is invalid");
        }

        return s_x25519.Agree(Key, pk) ?? throw new NoiseException("X25519 produced an all-zero shared secret (low-order point)");
    }

    /// <inheritdoc/>
    public void Dispose() => Key.Dispose();
}

// Noise CipherState: https://noiseprotocol.org/noise.html#the-cipherstate-object
//
//   nonce (12 bytes) = 00 00 00 00 || n as 8-byte little-endian   (ChaChaPoly, Noise spec 12)
using System.Buffers.Binary;
using NSec.Cryptography;

namespace SlipsP2P.Libp2p.Noise;

/// <summary>A Noise CipherState over ChaCha20-Poly1305 (k, n). Dispose to wipe the key.</summary>
public sealed class NoiseCipherState : IDisposable
{
    /// <summary>The Poly1305 tag length.</summary>
    public const int TagLength = 16;

    // js refuses to go past 2^32-1 ("a new handshake must be performed"); we never rekey, so stop there too.
    private const ulong MaxNonce = uint.MaxValue;

    private static readonly AeadAlgorithm s_aead = AeadAlgorithm.ChaCha20Poly1305;

    private Key? _key;
    private ulong _nonce;

    /// <summary>True once a key has been set.</summary>
    public bool HasKey => _key is not null;

    /// <summary>The next nonce value (for tests).</summary>
    public ulong Nonce => _nonce;

    /// <summary>InitializeKey(k): sets the key and resets n to 0.</summary>
    public void InitializeKey(ReadOnlySpan<byte> key)
    {
        _key?.Dispose();
        _key = Key.Import(s_aead, key, KeyBlobFormat.RawSymmetricKey);
        _nonce = 0;
    }

    /// <summary>EncryptWithAd: writes plaintext.Length + 16 bytes (or a plain copy when no key is set).</summary>
    public int Encrypt(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (_key is null)
        {
            plaintext.CopyTo(destination);
            return plaintext.Length;
        }

        if (_nonce >= MaxNonce) throw new NoiseException("Noise nonce exhausted; a new handshake must be performed");
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, _nonce);
        s_aead.Encrypt(_key, nonce, ad, plaintext, destination[..(plaintext.Length + TagLength)]);
        _nonce++;
        return plaintext.Length + TagLength;
    }

    /// <summary>DecryptWithAd: writes ciphertext.Length - 16 bytes; throws <see cref="NoiseException"/> on a bad tag.</summary>
    public int Decrypt(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (_key is null)
        {
            ciphertext.CopyTo(destination);
            return ciphertext.Length;
        }

        if (ciphertext.Length < TagLength) throw new NoiseException("Noise ciphertext shorter than its tag");
        if (_nonce >= MaxNonce) throw new NoiseException("Noise nonce exhausted; a new handshake must be performed");
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, _nonce);
        if (!s_aead.Decrypt(_key, nonce, ad, ciphertext, destination[..(ciphertext.Length - TagLength)]))
        {
            throw new NoiseException("Noise decryption failed (bad tag)");
        }

        _nonce++;
        return ciphertext.Length - TagLength;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _key?.Dispose();
        _key = null;
    }

    private static void WriteNonce(Span<byte> nonce, ulong n)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], n);
    }
}

// Noise SymmetricState: https://noiseprotocol.org/noise.html#the-symmetricstate-object
//
//   HKDF(ck, ikm) -> (o1, o2): RFC 5869 HKDF-SHA256 with salt = ck, empty info, 64 bytes out.
using System.Security.Cryptography;
using NSec.Cryptography;

namespace SlipsP2P.Libp2p.Noise;

/// <summary>The Noise SymmetricState (ck, h, CipherState) for SHA-256.</summary>
internal sealed class NoiseSymmetricState : IDisposable
{
    public const int HashLength = 32;

    private static readonly KeyDerivationAlgorithm s_hkdf = KeyDerivationAlgorithm.HkdfSha256;

    private readonly byte[] _ck = new byte[HashLength];
    private readonly byte[] _h = new byte[HashLength];
    private readonly NoiseCipherState _cipher = new();

    public NoiseSymmetricState(ReadOnlySpan<byte> protocolName)
    {
        // InitializeSymmetric: a name of at most HASHLEN bytes is zero-padded into h, else hashed.
        if (protocolName.Length <= HashLength) protocolName.CopyTo(_h);
        else SHA256.HashData(protocolName, _h);
        _h.CopyTo(_ck, 0);
    }

    public ReadOnlySpan<byte> HandshakeHash => _h;

    public bool HasKey => _cipher.HasKey;

    public void MixHash(ReadOnlySpan<byte> data)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(_h);
        sha.AppendData(data);
        sha.GetHashAndReset(_h);
    }

    public void MixKey(SharedSecret dh)
    {
        Span<byte> output = stackalloc byte[2 * HashLength];
        try
        {
            s_hkdf.DeriveBytes(dh, _ck, ReadOnlySpan<byte>.Empty, output);
            output[..HashLength].CopyTo(_ck);
            _cipher.InitializeKey(output[HashLength..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int n = _cipher.Encrypt(_h, plaintext, destination);
        MixHash(destination[..n]);
        return n;
    }

    public int DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        int n = _cipher.Decrypt(_h, ciphertext, destination);
        MixHash(ciphertext);
        return n;
    }

    public (NoiseCipherState First, NoiseCipherState Second) Split()
    {
        Span<byte> output = stackalloc byte[2 * HashLength];
        try
        {
            // NSec's HKDF refuses empty input keying material, so Split spells out Noise's HKDF with HMAC-SHA256.
            Span<byte> temp = stackalloc byte[HashLength];
            Span<byte> block = stackalloc byte[HashLength + 1];
            HMACSHA256.HashData(_ck, ReadOnlySpan<byte>.Empty, temp);
            block[0] = 0x01;
            HMACSHA256.HashData(temp, block[..1], output[..HashLength]);
            output[..HashLength].CopyTo(block);
            block[HashLength] = 0x02;
            HMACSHA256.HashData(temp, block, output[HashLength..]);
            CryptographicOperations.ZeroMemory(temp);
            CryptographicOperations.ZeroMemory(block);
            var c1 = new NoiseCipherState();
            c1.InitializeKey(output[..HashLength]);
            var c2 = new NoiseCipherState();
            c2.InitializeKey(output[HashLength..]);
            return (c1, c2);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_ck);
        _cipher.Dispose();
    }
}

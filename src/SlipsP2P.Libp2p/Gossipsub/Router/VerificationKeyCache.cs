// Imported Ed25519 verification keys by author, so that verifying a message does not re-import the author's key
// (PublicKey.Verify imports it on every call; the import costs about as much as a quarter of the verification).
using System.Collections.Concurrent;
using SlipsP2P.Libp2p.Crypto;
using NSecKey = NSec.Cryptography;

namespace SlipsP2P.Libp2p.Gossipsub.Router;

/// <summary>A bounded, thread-safe cache of imported Ed25519 public keys keyed by the author's peer id.</summary>
internal static class VerificationKeyCache
{
    /// <summary>Authors remembered; when exceeded the cache starts over (cheap, and bounded whatever peers send).</summary>
    public const int Capacity = 4096;

    private static readonly ConcurrentDictionary<PeerId, NSecKey.PublicKey> s_keys = new();

    /// <summary>Verifies <paramref name="signature"/> over <paramref name="data"/> by <paramref name="key"/>, the key of <paramref name="author"/>.</summary>
    public static bool Verify(PeerId author, PublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (key.Type != KeyType.Ed25519 || signature.Length != Ed25519KeyPair.SignatureLength) return key.Verify(data, signature);
        var algorithm = NSecKey.SignatureAlgorithm.Ed25519;
        if (!s_keys.TryGetValue(author, out var imported))
        {
            if (!NSecKey.PublicKey.TryImport(algorithm, key.Data, NSecKey.KeyBlobFormat.RawPublicKey, out imported) || imported is null) return false;
            if (s_keys.Count >= Capacity) s_keys.Clear();
            s_keys[author] = imported;
        }

        return algorithm.Verify(imported, data, signature);
    }
}

// libp2p key types: https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md#keys
namespace SlipsP2P.Libp2p.Crypto;

/// <summary>The libp2p <c>KeyType</c> enum.</summary>
public enum KeyType
{
    /// <summary>RSA (verification not supported here).</summary>
    Rsa = 0,

    /// <summary>Ed25519, the only type this stack signs and verifies with.</summary>
    Ed25519 = 1,

    /// <summary>secp256k1 (verification not supported here).</summary>
    Secp256k1 = 2,

    /// <summary>ECDSA (verification not supported here).</summary>
    Ecdsa = 3,
}

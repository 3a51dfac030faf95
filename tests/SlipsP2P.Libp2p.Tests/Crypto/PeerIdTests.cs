using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Tests.Support;

namespace SlipsP2P.Libp2p.Tests.Crypto;

public class PeerIdTests
{
    [Fact]
    public void FromSeed_AliceVector_KeysAndIdsMatchJs()
    {
        var v = Vectors.Js().GetProperty("peerId");
        using var kp = Ed25519KeyPair.FromSeed(Vectors.Hex(v, "seedHex"));

        Assert.Equal(Vectors.Hex(v, "publicKeyProtobuf"), kp.PublicKey.ToProtobuf());
        Assert.Equal(Vectors.Hex(v, "multihash"), kp.PeerId.ToByteArray());
        Assert.Equal(v.GetProperty("base58btc").GetString(), kp.PeerId.ToString());
        Assert.Equal(v.GetProperty("cidv1Base32").GetString(), kp.PeerId.ToCidString());
        Assert.Equal(Vectors.Hex(v, "privateKeyProtobuf"), kp.ExportPrivateKey());
        Assert.Equal(Vectors.Hex(v, "seedHex"), SHA256.HashData(Encoding.UTF8.GetBytes("alice")));
    }

    [Fact]
    public void Parse_SpecExamples_SameIdFromBothForms()
    {
        var v = Vectors.Js();
        var spec = v.GetProperty("specVectorEd25519");
        var a = PeerId.Parse(spec.GetProperty("peerId").GetString()!);
        var b = PeerId.Parse(spec.GetProperty("cidv1Base32").GetString()!);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.TryGetPublicKey(out var key));
        Assert.Equal(Vectors.Hex(spec, "publicKeyProtobuf"), key!.ToProtobuf());

        var qm = PeerId.Parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
        Assert.Equal("12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9", Convert.ToHexStringLower(qm.Bytes));
        Assert.Equal(qm, PeerId.Parse("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe"));
        Assert.Equal("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", qm.ToCidString());
        Assert.False(qm.TryGetPublicKey(out _));
    }

    [Fact]
    public void SpecPrivateKeyVector_DecodesToSpecPublicKey()
    {
        var priv = Convert.FromHexString("080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e");
        Assert.Equal(OperationStatus.Done, Ed25519KeyPair.TryDecodePrivateKey(priv, out var kp));
        using (kp)
        {
            Assert.Equal("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e", Convert.ToHexStringLower(kp!.PublicKey.Protobuf));
            Assert.Equal("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq", kp.PeerId.ToString());
        }

        priv[^1] ^= 1;
        Assert.Equal(OperationStatus.InvalidData, Ed25519KeyPair.TryDecodePrivateKey(priv, out _));
    }

    [Fact]
    public void Sign_NoiseVector_SignatureMatchesJsAndVerifies()
    {
        var v = Vectors.Js();
        using var kp = Ed25519KeyPair.FromSeed(Vectors.Hex(v.GetProperty("peerId"), "seedHex"));
        var noise = v.GetProperty("noise");
        var signed = Vectors.Hex(noise, "signedData");
        var sig = kp.Sign(signed);
        Assert.Equal(Vectors.Hex(noise, "identitySig"), sig);
        Assert.True(kp.PublicKey.Verify(signed, sig));
        sig[0] ^= 1;
        Assert.False(kp.PublicKey.Verify(signed, sig));
        Assert.False(kp.PublicKey.Verify(signed, sig.AsSpan(0, 63)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkB")]
    [InlineData("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5")]
    [InlineData("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")]
    [InlineData("x12D3")]
    [InlineData("12D3KooW0OIl")]
    public void TryParse_Invalid_False(string text)
    {
        Assert.False(PeerId.TryParse(text, out _));
    }

    [Fact]
    public void PublicKeyTryDecode_EveryTruncation_NeverThrows()
    {
        var bytes = Convert.FromHexString("08011220d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4");
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.Equal(OperationStatus.InvalidData, PublicKey.TryDecode(bytes.AsSpan(0, i), out _));
        }

        Assert.Equal(OperationStatus.Done, PublicKey.TryDecode(bytes, out var key));
        Assert.Equal(KeyType.Ed25519, key!.Type);
    }

    [Fact]
    public void Generate_TwoKeys_DifferentIdsStartingWith12D3KooW()
    {
        using var a = Ed25519KeyPair.Generate();
        using var b = Ed25519KeyPair.Generate();
        Assert.NotEqual(a.PeerId, b.PeerId);
        Assert.StartsWith("12D3KooW", a.PeerId.ToString(), StringComparison.Ordinal);
        Assert.Equal(a.PeerId, PeerId.Parse(a.PeerId.ToString()));
        Assert.True(a.PeerId.Matches(a.PublicKey));
        Assert.False(a.PeerId.Matches(b.PublicKey));
    }
}

using System.Text.Json;
using SlipsP2P.Testing;

namespace SlipsP2P.Libp2p.Tests.Gossipsub;

/// <summary>The js-generated vectors of ../shared/testvectors/vectors.json (brief §13.2).</summary>
internal sealed class GossipsubVectors
{
    private GossipsubVectors(JsonElement root)
    {
        var g = root.GetProperty("gossipsub");
        var p = root.GetProperty("peerId");
        Seed = Hex(p, "seedHex");
        PublicKeyProtobuf = Hex(p, "publicKeyProtobuf");
        PeerIdMultihash = Hex(p, "multihash");
        MessageWithoutSigAndKey = Hex(g, "messageWithoutSigAndKey");
        SigningInput = Hex(g, "signingInput");
        Signature = Hex(g, "signature");
        RpcWithOneMessage = Hex(g, "rpcWithOneMessage");
        LengthPrefixedRpc = Hex(g, "lengthPrefixedRpc");
        SubscribeRpc = Hex(g, "subscribeRpc");
        GraftRpc = Hex(g, "graftRpc");
        MsgIdJsDefault = Hex(g, "msgIdJsDefault");
        MsgIdFromSeqno = Hex(g, "msgIdFromSeqno");
    }

    public byte[] Seed { get; }
    public byte[] PublicKeyProtobuf { get; }
    public byte[] PeerIdMultihash { get; }
    public byte[] MessageWithoutSigAndKey { get; }
    public byte[] SigningInput { get; }
    public byte[] Signature { get; }
    public byte[] RpcWithOneMessage { get; }
    public byte[] LengthPrefixedRpc { get; }
    public byte[] SubscribeRpc { get; }
    public byte[] GraftRpc { get; }
    public byte[] MsgIdJsDefault { get; }
    public byte[] MsgIdFromSeqno { get; }

    public const string Topic = "interop-topic";

    public static GossipsubVectors Load()
    {
        string path = Requires.Shared("testvectors/vectors.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return new GossipsubVectors(doc.RootElement.Clone());
    }

    private static byte[] Hex(JsonElement e, string name) => Convert.FromHexString(e.GetProperty(name).GetString()!);
}

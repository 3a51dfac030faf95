using System.Text.Json;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Gossipsub;
using SlipsP2P.Libp2p.Gossipsub.Rpc;

namespace SlipsP2P.Libp2p.Bench;

/// <summary>
/// The floor under the gossip benchmark: CPU time of signing and of verifying one 256-byte pubsub message on one
/// thread (NSec/libsodium Ed25519), so that the gossip result can be split into crypto and everything else.
/// </summary>
internal static class CryptoCost
{
    public static string Run(BenchArguments args)
    {
        using var key = Ed25519KeyPair.Generate();
        var payload = new byte[args.Size];
        var messages = new PubsubMessage[args.Count];
        for (int i = 0; i < 200; i++) PubsubSigning.Verify(PubsubSigning.CreateSigned(key, "bench", payload, (ulong)i), out _);

        var sign = new Measure();
        for (int i = 0; i < messages.Length; i++) messages[i] = PubsubSigning.CreateSigned(key, "bench", payload, (ulong)(i + 1000));
        var signCpu = sign.Cpu;
        var verify = new Measure();
        int valid = 0;
        foreach (var m in messages)
        {
            if (PubsubSigning.Verify(m, out _) == SignatureStatus.Valid) valid++;
        }

        var verifyCpu = verify.Cpu;
        if (valid != messages.Length) throw new BenchmarkException($"{messages.Length - valid} signatures did not verify");
        return JsonSerializer.Serialize(new
        {
            bench = "crypto",
            impl = "slips",
            count = args.Count,
            signUs = Math.Round(signCpu.TotalMicroseconds / args.Count, 1),
            verifyUs = Math.Round(verifyCpu.TotalMicroseconds / args.Count, 1),
            load = Measure.LoadAverage(),
        });
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using SlipsP2P.Testing;

namespace SlipsP2P.Fuzz.Tests;

/// <summary>
/// Every fuzz target over its committed corpus, the seeds the project's encoders make now, the shared test vectors,
/// and a few thousand deterministic mutations. A finding fails with the input in hex (add it to corpus/&lt;target&gt;/
/// once fixed, as a regression seed).
/// </summary>
public sealed class FuzzSmokeTests
{
    private const int Mutations = 3000;
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    public static TheoryData<string> Targets()
    {
        var data = new TheoryData<string>();
        foreach (var t in FuzzTargets.All) data.Add(t.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Target_SeedsAndMutations_NoFinding(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var seeds = FuzzRunner.ReadCorpus(CorpusRoot, name);
        Assert.NotEmpty(seeds); // every target ships seeds (write-corpus, see README.md)
        seeds.AddRange(Seeds.FromEncoders(name));
        seeds.AddRange(VectorSeeds(name));

        var current = new StrongBox<byte[]>([]);
        var run = Task.Factory.StartNew(() => FuzzRunner.Run(target, seeds, Mutations, (ulong)StableHash(name), current),
            TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        FuzzFinding? finding;
        try
        {
            finding = await run.WaitAsync(s_timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            byte[] input = current.Value ?? []; // a reference read is atomic; the runner writes it before each input
            Assert.Fail($"{name}: no answer within {s_timeout.TotalSeconds} s (a hang?) on input {Convert.ToHexString(input)}");
            return;
        }

        Assert.True(finding is null, finding?.ToString());
    }

    [Fact]
    public void Run_TargetThatThrows_ReportsTheInput()
    {
        // The harness itself must be able to fail: an out-of-range index on inputs starting with 0xFF is found.
        var broken = new FuzzTarget("broken", "throws on 0xFF", static input =>
        {
            if (!input.IsEmpty && input[0] == 0xFF) _ = input[input.Length];
        });

        var finding = FuzzRunner.Run(broken, [[0x00, 0x01, 0x02]], 5000, 1);

        Assert.NotNull(finding);
        Assert.Equal(0xFF, finding.Input[0]);
        Assert.IsType<IndexOutOfRangeException>(finding.Error);
    }

    [Fact]
    public void Mutate_SameSeed_SameMutants()
    {
        byte[] input = [1, 2, 3, 4, 5, 6, 7, 8];
        var a = new Mutator(42);
        var b = new Mutator(42);
        for (int i = 0; i < 100; i++) Assert.Equal(a.Mutate(input), b.Mutate(input));
    }

    [Fact]
    public void FromEncoders_Libp2pSeeds_AreValidForTheirCodec()
    {
        // The encoder seeds must reach past the first validity check, or the mutations explore nothing.
        Assert.Equal(System.Buffers.OperationStatus.Done, Libp2p.Gossipsub.Rpc.PubsubRpc.TryRead(Seeds.FromEncoders("gossipsub")[0].AsSpan(2), out var rpc, out _));
        Assert.NotNull(rpc.Control);
        Assert.Single(rpc.Control.Prune[0].Peers);
        Assert.Equal(System.Buffers.OperationStatus.Done, Libp2p.Discovery.Kad.KadMessage.TryRead(Seeds.FromEncoders("kad")[0], out var kad, out _));
        Assert.Single(kad!.CloserPeers);
        Assert.Equal(System.Buffers.OperationStatus.Done, Ingest.App.TlsHello.TryRead(Seeds.FromEncoders("tls")[0], out var hello, out _));
        Assert.Equal("example.com", hello!.ServerName);
    }

    private static string CorpusRoot => Path.Combine(Requires.RepoRoot, "tests", "SlipsP2P.Fuzz", "corpus");

    // The hex test vectors of ../shared/testvectors/vectors.json that are inputs of a target.
    private static List<byte[]> VectorSeeds(string target)
    {
        var seeds = new List<byte[]>();
        string[] sections = target switch
        {
            "multiaddr" => ["multiaddr"],
            "peerid" => ["peerId", "specVectorEd25519"],
            "protobuf" => ["peerId", "gossipsub"],
            "noise-payload" => ["noise"],
            "gossipsub" => ["gossipsub"],
            "multistream" => ["multistream"],
            _ => [],
        };
        if (sections.Length == 0) return seeds;
        string path = Requires.Shared("testvectors/vectors.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        foreach (string section in sections)
        {
            if (!doc.RootElement.TryGetProperty(section, out var s)) continue;
            foreach (var p in s.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) continue;
                string v = p.Value.GetString()!;
                if (v.Length % 2 == 0 && v.All(Uri.IsHexDigit)) seeds.Add(Convert.FromHexString(v));
            }
        }

        return seeds;
    }

    private static int StableHash(string s)
    {
        int h = 17;
        foreach (char c in s) h = unchecked(h * 31 + c);
        return h;
    }
}

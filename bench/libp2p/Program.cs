// libp2p benchmarks of issue 3 (performance section), one JSON object per result on stdout (bench/libp2p.sh makes
// the table):
//   gossip  --count N [--size 256] [--warmup 5000]  two nodes on loopback TCP, one burst of N signed messages
//                                               (SLIPS_BENCH_ALLOC_TYPES=1: allocations by type on stderr)
//   stream  --megabytes N                       one yamux stream over Noise over loopback TCP, one direction
//   network --nodes 50 --messages N [--rate R]  random connected loopback network of degree 6..8, publish from random nodes
//   crypto  --count N                           CPU cost of signing and of verifying one message (the floor of "gossip")
using SlipsP2P.Libp2p.Bench;

var options = BenchArguments.Parse(args, out string? error);
if (options is null)
{
    await Console.Error.WriteLineAsync(error);
    await Console.Error.WriteLineAsync("usage: gossip --count N [--size B] [--warmup N] | stream --megabytes N | network --nodes N --messages M [--rate R] [--seed S] | crypto --count N");
    return 2;
}

using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
try
{
    string json = options.Mode switch
    {
        "gossip" => await GossipThroughput.RunAsync(options, cts.Token),
        "stream" => await StreamThroughput.RunAsync(options, cts.Token),
        "crypto" => CryptoCost.Run(options),
        _ => await LoopbackNetwork.RunAsync(options, cts.Token),
    };
    Console.WriteLine(json);
    return 0;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync($"{options.Mode}: did not finish within 10 minutes");
    return 1;
}
catch (BenchmarkException ex)
{
    await Console.Error.WriteLineAsync($"{options.Mode}: {ex.Message}");
    return 1;
}

using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Bench;

/// <summary>
/// Two hosts in this process over loopback TCP (Noise + yamux, default options): one stream, the dialer writes N MiB
/// in 64 KiB writes, the listener reads to the end and answers with the byte count; the time runs from the first
/// write to the answer.
/// </summary>
internal static class StreamThroughput
{
    private const string Protocol = "/slips/bench-stream/1.0.0";
    private const int Chunk = 64 * 1024;

    public static async Task<string> RunAsync(BenchArguments args, CancellationToken cancellationToken)
    {
        using var listenerKey = Ed25519KeyPair.Generate();
        using var dialerKey = Ed25519KeyPair.Generate();
        var options = new Libp2pHostOptions { IdentifyOnConnect = false };
        if (args.WindowKib > 0) options.Yamux.ReceiveWindow = (uint)args.WindowKib * 1024;
        if (args.FrameKib > 0) options.Yamux.MaxDataFrameSize = args.FrameKib * 1024;
        await using var listener = new Libp2pHost(listenerKey, options);
        await using var dialer = new Libp2pHost(dialerKey, options);
        listener.SetStreamHandler(Protocol, DrainAsync);
        var address = await listener.ListenAsync(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), cancellationToken);
        var connection = await dialer.DialAsync(address.WithPeerId(listener.PeerId), cancellationToken);

        // Warm-up: 32 MiB on its own stream, so JIT and pools are in their steady state.
        await SendAsync(connection, 32L * 1024 * 1024, cancellationToken);
        long total = (long)args.Megabytes * 1024 * 1024;
        var measure = new Measure();
        long answered = await SendAsync(connection, total, cancellationToken);
        var wall = measure.Wall;
        var cpu = measure.Cpu;
        if (answered != total) throw new BenchmarkException($"the listener counted {answered} bytes of {total}");
        return JsonSerializer.Serialize(new
        {
            bench = "stream",
            impl = "slips",
            megabytes = args.Megabytes,
            windowKib = options.Yamux.ReceiveWindow / 1024,
            frameKib = options.Yamux.MaxDataFrameSize / 1024,
            seconds = Math.Round(wall.TotalSeconds, 3),
            gbitPerSec = Math.Round(total * 8 / wall.TotalSeconds / 1e9, 3),
            cpuSeconds = Math.Round(cpu.TotalSeconds, 3),
            gbitPerCpuSecond = Math.Round(total * 8 / cpu.TotalSeconds / 1e9, 3),
            load = Measure.LoadAverage(),
        });
    }

    private static async Task<long> SendAsync(Libp2pConnection connection, long total, CancellationToken cancellationToken)
    {
        await using var stream = await connection.OpenStreamAsync(Protocol, cancellationToken);
        for (long sent = 0; sent < total; sent += Chunk)
        {
            int n = (int)Math.Min(Chunk, total - sent);
            stream.Output.GetSpan(n)[..n].Fill(0x5a);
            stream.Output.Advance(n);
            await stream.Output.FlushAsync(cancellationToken);
        }

        await stream.Output.CompleteAsync();
        while (true)
        {
            var result = await stream.Input.ReadAsync(cancellationToken);
            if (result.Buffer.Length >= sizeof(long))
            {
                Span<byte> count = stackalloc byte[sizeof(long)];
                result.Buffer.Slice(0, sizeof(long)).CopyTo(count);
                stream.Input.AdvanceTo(result.Buffer.End);
                return BinaryPrimitives.ReadInt64BigEndian(count);
            }

            if (result.IsCompleted) throw new BenchmarkException("the listener closed the stream without answering");
            stream.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static async Task DrainAsync(Libp2pStream stream, CancellationToken cancellationToken)
    {
        long received = 0;
        while (true)
        {
            var result = await stream.Input.ReadAsync(cancellationToken);
            received += result.Buffer.Length;
            stream.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) break;
        }

        BinaryPrimitives.WriteInt64BigEndian(stream.Output.GetSpan(sizeof(long)), received);
        stream.Output.Advance(sizeof(long));
        await stream.Output.FlushAsync(cancellationToken);
        await stream.Output.CompleteAsync();
    }
}

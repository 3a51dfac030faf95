using SlipsP2P.Libp2p.Tests.Support;
using SlipsP2P.Libp2p.Transport;
using SlipsP2P.Libp2p.Yamux;

namespace SlipsP2P.Libp2p.Tests.Yamux;

/// <summary>Random and mutated frames never escape the session as an unexpected exception and never hang it.</summary>
public class YamuxFuzzSmokeTests
{
    [Fact]
    public async Task RandomAndMutatedInput_SessionEndsCleanly()
    {
        var rng = new Random(12345);
        for (int round = 0; round < 200; round++)
        {
            var (ours, raw) = DuplexPipePair.Create();
            var session = new YamuxSession(ours, isClient: round % 2 == 0, new YamuxOptions { KeepAliveInterval = TimeSpan.Zero });
            session.InboundStreamHandler = async s =>
            {
                try
                {
                    await PipeIo.ReadToEndAsync(s.Input);
                }
                catch (YamuxStreamException)
                {
                    // Reset by the garbage: fine.
                }
            };
            session.Start();

            // Valid-looking frames with random mutations, or plain noise.
            var input = new List<byte>();
            int frames = rng.Next(1, 12);
            for (int i = 0; i < frames; i++)
            {
                var header = new byte[12];
                var type = (YamuxFrameType)rng.Next(0, 4);
                var flags = (YamuxFlags)(1 << rng.Next(0, 4));
                uint id = type is YamuxFrameType.Ping or YamuxFrameType.GoAway ? 0u : (uint)rng.Next(1, 8);
                uint len = type == YamuxFrameType.Data ? (uint)rng.Next(0, 64) : (uint)rng.Next();
                new YamuxHeader(type, flags, id, len).Write(header);
                if (rng.Next(4) == 0) header[rng.Next(12)] = (byte)rng.Next(256);
                input.AddRange(header);
                if (type == YamuxFrameType.Data)
                {
                    var body = new byte[len];
                    rng.NextBytes(body);
                    input.AddRange(body);
                }
            }

            if (rng.Next(3) == 0)
            {
                var noise = new byte[rng.Next(1, 100)];
                rng.NextBytes(noise);
                input.AddRange(noise);
            }

            await PipeIo.WriteAsync(raw.Output, [.. input]);
            await raw.Output.CompleteAsync();
            await PipeIo.ReadToEndAsync(raw.Input);

            try
            {
                await session.Completion.DefaultTimeout();
            }
            catch (YamuxSessionException)
            {
                // A protocol violation ends the session with GoAway: the expected outcome for garbage.
            }

            await session.DisposeAsync().DefaultTimeout();
        }
    }
}

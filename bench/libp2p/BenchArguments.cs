using System.Globalization;

namespace SlipsP2P.Libp2p.Bench;

/// <summary>Command line of the benchmark runner.</summary>
internal sealed class BenchArguments
{
    public required string Mode { get; init; }

    public int Count { get; private set; } = 10_000;

    public int Size { get; private set; } = 256;

    /// <summary>Messages published before the measured gossip burst.</summary>
    public int Warmup { get; private set; } = 5_000;

    public int Megabytes { get; private set; } = 1024;

    public int Nodes { get; private set; } = 50;

    public int Messages { get; private set; } = 200;

    public int Rate { get; private set; } = 50;

    public int Seed { get; private set; } = 1;

    /// <summary>yamux receive window in KiB (0: the library default).</summary>
    public int WindowKib { get; private set; }

    /// <summary>Largest yamux data frame in KiB (0: the library default).</summary>
    public int FrameKib { get; private set; }

    /// <summary>Parses the arguments; null with <paramref name="error"/> naming the bad argument.</summary>
    public static BenchArguments? Parse(string[] args, out string? error)
    {
        error = null;
        if (args.Length == 0 || args[0] is not ("gossip" or "stream" or "network" or "crypto"))
        {
            error = "first argument: gossip, stream, network or crypto";
            return null;
        }

        var result = new BenchArguments { Mode = args[0] };
        for (int i = 1; i < args.Length; i++)
        {
            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value <= 0 || value > 10_000_000)
            {
                error = $"{args[i]}: expects a positive number";
                return null;
            }

            switch (args[i++])
            {
                case "--count": result.Count = value; break;
                case "--size": result.Size = value; break;
                case "--warmup": result.Warmup = value; break;
                case "--megabytes": result.Megabytes = value; break;
                case "--nodes": result.Nodes = value; break;
                case "--messages": result.Messages = value; break;
                case "--rate": result.Rate = value; break;
                case "--seed": result.Seed = value; break;
                case "--window-kib": result.WindowKib = value; break;
                case "--frame-kib": result.FrameKib = value; break;
                default:
                    error = $"unknown argument {args[i - 1]}";
                    return null;
            }
        }

        return result;
    }
}

/// <summary>A benchmark that could not run (setup failed); reported as one line, exit code 1.</summary>
internal sealed class BenchmarkException(string message) : Exception(message);

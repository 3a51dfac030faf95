using System.IO.Pipelines;

namespace SlipsP2P.Libp2p.Transport;

/// <summary>Two connected in-memory duplex pipes: what one writes, the other reads. For tests and in-process links.</summary>
public static class DuplexPipePair
{
    /// <summary>Creates a connected pair.</summary>
    public static (IDuplexPipe A, IDuplexPipe B) Create(PipeOptions? options = null)
    {
        options ??= new PipeOptions(useSynchronizationContext: false);
        var ab = new Pipe(options);
        var ba = new Pipe(options);
        return (new DuplexPipe(ba.Reader, ab.Writer), new DuplexPipe(ab.Reader, ba.Writer));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

// multistream-select 1.0 negotiation: https://github.com/multiformats/multistream-select
//
//   initiator                                responder
//   "/multistream/1.0.0\n" "/proto/a\n"  ->
//                                        <-  "/multistream/1.0.0\n" ("/proto/a\n" | "na\n")
//   ("/proto/b\n" ...)                   ->
//
// The reader never consumes past the accepted protocol line: later bytes belong to the selected protocol.
using System.Buffers;
using System.IO.Pipelines;

namespace SlipsP2P.Libp2p.Multistream;

/// <summary>multistream-select 1.0 initiator and responder over a duplex pipe.</summary>
public static class MultistreamSelect
{
    /// <summary>The header/protocol id of multistream-select itself.</summary>
    public const string ProtocolId = "/multistream/1.0.0";

    /// <summary>The refusal message.</summary>
    public const string NotAvailable = "na";

    /// <summary>The listing request.</summary>
    public const string List = "ls";

    // A misbehaving peer must not keep us looping forever on "na".
    private const int MaxResponderRounds = 64;

    /// <summary>
    /// Proposes <paramref name="protocols"/> in order and returns the first one the remote accepts. Throws
    /// <see cref="MultistreamException"/> (NotSupported=true) when every proposal gets "na".
    /// </summary>
    public static async Task<string> SelectAsync(IDuplexPipe pipe, IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(protocols);
        if (protocols.Count == 0) throw new ArgumentException("no protocols to propose", nameof(protocols));

        // Header and first proposal in one write, as js and go do.
        MultistreamMessage.Write(ProtocolId, pipe.Output);
        MultistreamMessage.Write(protocols[0], pipe.Output);
        await pipe.Output.FlushAsync(cancellationToken).ConfigureAwait(false);

        string header = await ReadMessageAsync(pipe.Input, cancellationToken).ConfigureAwait(false);
        if (header != ProtocolId) throw new MultistreamException($"expected multistream header, got '{Truncate(header)}'");

        for (int i = 0; i < protocols.Count; i++)
        {
            if (i > 0)
            {
                MultistreamMessage.Write(protocols[i], pipe.Output);
                await pipe.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            string reply = await ReadMessageAsync(pipe.Input, cancellationToken).ConfigureAwait(false);
            if (reply == protocols[i]) return reply;
            if (reply != NotAvailable) throw new MultistreamException($"proposed '{protocols[i]}', got '{Truncate(reply)}'");
        }

        throw new MultistreamException($"remote supports none of: {string.Join(", ", protocols)}") { NotSupported = true };
    }

    /// <summary>
    /// Answers proposals until one is supported and returns it. "ls" is answered with <paramref name="supported"/>'s
    /// list. Throws <see cref="MultistreamException"/> on bad framing or when the remote closes first.
    /// </summary>
    public static async Task<string> ListenAsync(IDuplexPipe pipe, IProtocolSet supported, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(supported);
        for (int round = 0; round < MaxResponderRounds; round++)
        {
            string message = await ReadMessageAsync(pipe.Input, cancellationToken).ConfigureAwait(false);
            if (message == ProtocolId)
            {
                MultistreamMessage.Write(ProtocolId, pipe.Output);
            }
            else if (message == List)
            {
                WriteList(pipe.Output, supported.Protocols);
            }
            else if (message.Length > 0 && supported.Contains(message))
            {
                MultistreamMessage.Write(message, pipe.Output);
                await pipe.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
                return message;
            }
            else
            {
                MultistreamMessage.Write(NotAvailable, pipe.Output);
            }

            await pipe.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        throw new MultistreamException($"remote made more than {MaxResponderRounds} proposals");
    }

    /// <summary>Asks the remote for its protocol list ("ls") after sending the header.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(IDuplexPipe pipe, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        MultistreamMessage.Write(ProtocolId, pipe.Output);
        MultistreamMessage.Write(List, pipe.Output);
        await pipe.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        string header = await ReadMessageAsync(pipe.Input, cancellationToken).ConfigureAwait(false);
        if (header != ProtocolId) throw new MultistreamException($"expected multistream header, got '{Truncate(header)}'");
        while (true)
        {
            var result = await pipe.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var st = MultistreamMessage.TryReadBody(ref buffer, MultistreamMessage.MaxBodyLength, out var body);
            if (st == OperationStatus.Done)
            {
                var list = new List<string>();
                while (!body.IsEmpty && MultistreamMessage.TryRead(ref body, MultistreamMessage.MaxMessageLength + 1, out string p) == OperationStatus.Done)
                {
                    list.Add(p);
                }

                pipe.Input.AdvanceTo(buffer.Start);
                return list;
            }

            pipe.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (st == OperationStatus.InvalidData) throw new MultistreamException("malformed ls reply");
            if (result.IsCompleted || result.IsCanceled) throw new MultistreamException("stream ended during ls");
        }
    }

    /// <summary>Reads one message, consuming exactly its bytes.</summary>
    public static async ValueTask<string> ReadMessageAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var st = MultistreamMessage.TryRead(ref buffer, MultistreamMessage.MaxMessageLength + 1, out string message);
            if (st == OperationStatus.Done)
            {
                reader.AdvanceTo(buffer.Start);
                return message;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (st == OperationStatus.InvalidData) throw new MultistreamException("malformed multistream message (too long or no newline)");
            if (result.IsCompleted) throw new MultistreamException("stream closed during protocol negotiation");
            if (result.IsCanceled) throw new OperationCanceledException("protocol negotiation read canceled");
        }
    }

    private static void WriteList(PipeWriter output, IReadOnlyCollection<string> protocols)
    {
        var inner = new ArrayBufferWriter<byte>();
        foreach (var p in protocols) MultistreamMessage.Write(p, inner);
        inner.Write("\n"u8);
        Multiformats.Varint.Write((ulong)inner.WrittenCount, output);
        output.Write(inner.WrittenSpan);
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}

/// <summary>The protocols a responder accepts.</summary>
public interface IProtocolSet
{
    /// <summary>True when <paramref name="protocol"/> is accepted.</summary>
    bool Contains(string protocol);

    /// <summary>All accepted protocols (for "ls").</summary>
    IReadOnlyCollection<string> Protocols { get; }
}

/// <summary>A fixed protocol set.</summary>
public sealed class ProtocolSet : IProtocolSet
{
    private readonly HashSet<string> _set;

    /// <summary>Creates the set.</summary>
    public ProtocolSet(params string[] protocols)
    {
        _set = new HashSet<string>(protocols, StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> Protocols => _set;

    /// <inheritdoc/>
    public bool Contains(string protocol) => _set.Contains(protocol);
}

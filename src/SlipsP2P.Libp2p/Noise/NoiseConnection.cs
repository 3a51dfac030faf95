// libp2p Noise transport phase: https://github.com/libp2p/specs/blob/master/noise/README.md#noise-transport-message-format
//
// Middleware that swaps the duplex pipe (the Orleans TLS shape): the layer above reads and writes plaintext
// pipes; one read loop decrypts frames from the transport and one write loop encrypts into it.
using System.Buffers;
using System.IO.Pipelines;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Noise;

/// <summary>An established Noise session exposing plaintext pipes over an encrypted transport.</summary>
public sealed class NoiseConnection : IDuplexPipe, IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly NoiseCipherState _send;
    private readonly NoiseCipherState _receive;
    private readonly Pipe _inbound = new(new PipeOptions(useSynchronizationContext: false));
    private readonly Pipe _outbound = new(new PipeOptions(useSynchronizationContext: false));
    private Task _readLoop = Task.CompletedTask;
    private Task _writeLoop = Task.CompletedTask;

    internal NoiseConnection(IDuplexPipe transport, NoiseCipherState send, NoiseCipherState receive, PublicKey remoteKey, PeerId remotePeer,
        IReadOnlyList<string> remoteStreamMuxers)
    {
        RemoteStreamMuxers = remoteStreamMuxers;
        _transport = transport;
        _send = send;
        _receive = receive;
        RemotePublicKey = remoteKey;
        RemotePeer = remotePeer;
    }

    /// <summary>The authenticated remote identity key.</summary>
    public PublicKey RemotePublicKey { get; }

    /// <summary>The authenticated remote peer id.</summary>
    public PeerId RemotePeer { get; }

    /// <summary>The stream muxers the remote offered in its handshake extensions (empty when it sent none).</summary>
    public IReadOnlyList<string> RemoteStreamMuxers { get; }

    /// <summary>Decrypted bytes from the remote.</summary>
    public PipeReader Input => _inbound.Reader;

    /// <summary>Plaintext to encrypt and send.</summary>
    public PipeWriter Output => _outbound.Writer;

    /// <summary>Completes when everything written to <see cref="Output"/> has been encrypted and flushed (or failed).</summary>
    internal Task WriteCompletion => _writeLoop;

    /// <summary>Completes when both loops have ended.</summary>
    public Task Completion => Task.WhenAll(_readLoop, _writeLoop);

    internal void Start()
    {
        _readLoop = Task.Run(ReadLoopAsync);
        _writeLoop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Stops both directions and waits for the loops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _outbound.Writer.CompleteAsync().ConfigureAwait(false);
        await _inbound.Reader.CompleteAsync().ConfigureAwait(false);
        _transport.Input.CancelPendingRead();
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NoiseException or IOException or OperationCanceledException or InvalidOperationException)
        {
            // Already reported to the layer above through the pipes.
        }

        _send.Dispose();
        _receive.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        var output = _inbound.Writer;
        Exception? error = null;
        byte[]? scratch = null;
        byte[]? plain = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    if (result.IsCanceled) break;
                    while (NoiseFrame.TryReadFrame(ref buffer, out var message))
                    {
                        // js rejects frames shorter than a tag; so do we.
                        if (message.Length < NoiseCipherState.TagLength) throw new NoiseException("Noise transport frame shorter than its tag");
                        ReadOnlySpan<byte> ciphertext;
                        if (message.IsSingleSegment)
                        {
                            ciphertext = message.FirstSpan;
                        }
                        else
                        {
                            scratch ??= ArrayPool<byte>.Shared.Rent(NoiseFrame.MaxMessageLength);
                            message.CopyTo(scratch);
                            ciphertext = scratch.AsSpan(0, (int)message.Length);
                        }

                        // Decrypt into a pooled buffer and copy into the pipe's pooled segments: asking the pipe for
                        // one 64 KiB span would allocate an unpooled array per frame.
                        plain ??= ArrayPool<byte>.Shared.Rent(NoiseFrame.MaxPlaintextLength);
                        int plainLength = _receive.Decrypt(ReadOnlySpan<byte>.Empty, ciphertext, plain);
                        output.Write(plain.AsSpan(0, plainLength));
                    }

                    if (result.IsCompleted)
                    {
                        if (buffer.Length > 0) throw new NoiseException("connection closed inside a Noise frame");
                        break;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted) break;
            }
        }
#pragma warning disable CA1031 // Any failure, including one a peer provokes, must end only this connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
            if (plain is not null) ArrayPool<byte>.Shared.Return(plain, clearArray: true);
            await output.CompleteAsync(error).ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var input = _outbound.Reader;
        var output = _transport.Output;
        Exception? error = null;
        byte[]? frame = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    var span = segment.Span;
                    while (!span.IsEmpty)
                    {
                        int chunk = Math.Min(span.Length, NoiseFrame.MaxPlaintextLength);
                        int frameLength = chunk + NoiseCipherState.TagLength;
                        frame ??= ArrayPool<byte>.Shared.Rent(NoiseFrame.HeaderLength + NoiseFrame.MaxMessageLength);
                        NoiseFrame.WriteHeader(frameLength, frame);
                        _send.Encrypt(ReadOnlySpan<byte>.Empty, span[..chunk], frame.AsSpan(NoiseFrame.HeaderLength));
                        output.Write(frame.AsSpan(0, NoiseFrame.HeaderLength + frameLength));
                        span = span[chunk..];
                    }
                }

                input.AdvanceTo(buffer.End);
                if (!buffer.IsEmpty)
                {
                    var flush = await output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted) break;
                }

                if (result.IsCompleted || result.IsCanceled) break;
            }
        }
#pragma warning disable CA1031 // Any failure, including one a peer provokes, must end only this connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
        }
        finally
        {
            if (frame is not null) ArrayPool<byte>.Shared.Return(frame);
            await input.CompleteAsync(error).ConfigureAwait(false);
            try
            {
                // Completing a stream-backed writer flushes what is left; a dead socket fails that flush.
                await output.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                error ??= ex;
            }
        }
    }
}

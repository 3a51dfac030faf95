// Ping: https://github.com/libp2p/specs/blob/master/ping/ping.md
//
// The dialer writes 32 random bytes, the listener echoes them; repeat on the same stream as long as wanted.
// js's connection monitor opens a ping stream every 10 s and aborts the connection when it fails.
using System.Buffers;
using System.Security.Cryptography;
using SlipsP2P.Libp2p.Transport;

namespace SlipsP2P.Libp2p.Protocols.Ping;

/// <summary>The ping protocol: echo responder and requester.</summary>
public static class PingProtocol
{
    /// <summary>The protocol id.</summary>
    public const string ProtocolId = "/ipfs/ping/1.0.0";

    /// <summary>The ping payload size.</summary>
    public const int PayloadLength = 32;

    /// <summary>Responder: echoes 32-byte payloads until the remote closes its side.</summary>
    public static async Task RespondAsync(Libp2pStream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var input = stream.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (buffer.Length >= PayloadLength)
            {
                var chunk = buffer.Slice(0, PayloadLength);
                foreach (var seg in chunk) stream.Output.Write(seg.Span);
                buffer = buffer.Slice(PayloadLength);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            await stream.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled) break;
        }

        await stream.Output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Requester: one ping on a fresh stream; returns the round-trip time.</summary>
    public static async Task<TimeSpan> PingAsync(Libp2pConnection connection, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var stream = await connection.OpenStreamAsync(ProtocolId, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var payload = new byte[PayloadLength];
            RandomNumberGenerator.Fill(payload);
            long start = timeProvider.GetTimestamp();
            await stream.Output.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
            var echo = new byte[PayloadLength];
            int got = 0;
            while (got < PayloadLength)
            {
                var result = await stream.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var take = result.Buffer.Slice(0, Math.Min(result.Buffer.Length, PayloadLength - got));
                take.CopyTo(echo.AsSpan(got));
                got += (int)take.Length;
                stream.Input.AdvanceTo(take.End);
                if (got < PayloadLength && (result.IsCompleted || result.IsCanceled))
                {
                    throw new InvalidDataException($"peer {connection.RemotePeer} closed the ping stream early");
                }
            }

            var rtt = timeProvider.GetElapsedTime(start);
            if (!echo.AsSpan().SequenceEqual(payload)) throw new InvalidDataException($"peer {connection.RemotePeer} echoed a wrong ping payload");
            await stream.Output.CompleteAsync().ConfigureAwait(false);
            return rtt;
        }
    }
}

using System.Buffers;
using System.IO.Pipelines;

namespace SlipsP2P.Libp2p.Tests.Support;

internal static class PipeIo
{
    public static async Task WriteAsync(PipeWriter writer, byte[] data)
    {
        await writer.WriteAsync(data, TestContext.Current.CancellationToken).DefaultTimeout();
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public static async Task<byte[]> ReadExactlyAsync(PipeReader reader, int count)
    {
        var result = new byte[count];
        int got = 0;
        while (got < count)
        {
            var r = await reader.ReadAsync(TestContext.Current.CancellationToken).DefaultTimeout();
            var buf = r.Buffer;
            int take = (int)Math.Min(buf.Length, count - got);
            buf.Slice(0, take).CopyTo(result.AsSpan(got));
            got += take;
            reader.AdvanceTo(buf.GetPosition(take));
            if (got < count && r.IsCompleted) throw new EndOfStreamException($"got {got} of {count} bytes");
        }

        return result;
    }

    /// <summary>Reads until the writer completes.</summary>
    public static async Task<byte[]> ReadToEndAsync(PipeReader reader)
    {
        var all = new ArrayBufferWriter<byte>();
        while (true)
        {
            var r = await reader.ReadAsync(TestContext.Current.CancellationToken).DefaultTimeout();
            foreach (var seg in r.Buffer) all.Write(seg.Span);
            reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) return all.WrittenSpan.ToArray();
        }
    }
}

using System.Text;

namespace SlipsP2P.Libp2p.Gossipsub.Rpc;

/// <summary>
/// Topic strings for decoding: a burst carries the same topic in every message, so each decoding thread remembers
/// the last topic it made and hands out that string again when the UTF-8 bytes are equal, instead of a new string
/// per message (which the message cache would then keep alive).
/// </summary>
internal static class TopicStrings
{
    // Longer topics are decoded every time; the bound keeps the remembered bytes small.
    private const int MaxRemembered = 256;

    [ThreadStatic]
    private static string? t_last;

    [ThreadStatic]
    private static byte[]? t_lastBytes;

    public static string Get(ReadOnlySpan<byte> utf8)
    {
        if (t_lastBytes is not null && utf8.SequenceEqual(t_lastBytes)) return t_last!;
        string topic = Encoding.UTF8.GetString(utf8);
        if (utf8.Length <= MaxRemembered)
        {
            t_last = topic;
            t_lastBytes = utf8.ToArray();
        }

        return topic;
    }
}

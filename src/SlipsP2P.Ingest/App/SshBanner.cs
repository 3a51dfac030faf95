namespace SlipsP2P.Ingest.App;

/// <summary>The SSH identification string (RFC 4253 section 4.2): "SSH-protoversion-softwareversion SP comments CR LF".</summary>
public static class SshBanner
{
    /// <summary>RFC 4253: the identification string is at most 255 characters including CR LF.</summary>
    public const int MaxLength = 255;

    /// <summary>True when the data begins with "SSH-".</summary>
    public static bool Looks(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && data[0] == 'S' && data[1] == 'S' && data[2] == 'H' && data[3] == '-';

    /// <summary>The banner without its line end, or null when the data does not start with one.</summary>
    public static string? TryRead(ReadOnlySpan<byte> data)
    {
        if (!Looks(data)) return null;
        if (data.Length > MaxLength) data = data[..MaxLength];
        int end = data.IndexOfAny((byte)'\r', (byte)'\n');
        if (end >= 0) data = data[..end];
        return HttpMessage.Text(data);
    }
}

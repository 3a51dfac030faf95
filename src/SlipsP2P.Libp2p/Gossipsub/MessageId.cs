namespace SlipsP2P.Libp2p.Gossipsub;

/// <summary>
/// A gossipsub message id: the dedup key of the seen cache and the mcache, and the bytes carried in
/// IHAVE, IWANT and IDONTWANT. Equality is by content; the hash is computed once.
/// </summary>
public readonly struct MessageId : IEquatable<MessageId>
{
    private readonly byte[]? _bytes;
    private readonly int _hash;

    /// <summary>Wraps <paramref name="bytes"/> (not copied: the caller gives up ownership).</summary>
    public MessageId(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        _bytes = bytes;
        _hash = ComputeHash(bytes);
    }

    /// <summary>The id bytes.</summary>
    public ReadOnlySpan<byte> Span => _bytes;

    /// <summary>The id bytes as an array (shared, do not modify).</summary>
    public byte[] Bytes => _bytes ?? [];

    /// <summary>Length of the id in bytes.</summary>
    public int Length => _bytes?.Length ?? 0;

    /// <inheritdoc />
    public bool Equals(MessageId other) =>
        _hash == other._hash && Span.SequenceEqual(other.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MessageId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <summary>Lower-case hex of the id.</summary>
    public override string ToString() => Convert.ToHexStringLower(Span);

    /// <summary>Equality operator.</summary>
    public static bool operator ==(MessageId left, MessageId right) => left.Equals(right);

    /// <summary>Inequality operator.</summary>
    public static bool operator !=(MessageId left, MessageId right) => !left.Equals(right);

    private static int ComputeHash(ReadOnlySpan<byte> bytes)
    {
        // js ids share a 36-byte key prefix per author, so hash all bytes rather than a prefix.
        var hc = new HashCode();
        hc.AddBytes(bytes);
        return hc.ToHashCode();
    }
}

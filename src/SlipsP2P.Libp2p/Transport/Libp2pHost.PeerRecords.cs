// Signed peer records (RFC 0003) through identify. Ours goes into every identify message, as js and go send theirs
// (field 8); a peer's record is kept, verified, with its identify result, so that gossipsub peer exchange can pass it
// on in PRUNEs: a pruned node dials a PX candidate only when it can find its addresses, and a js node takes them only
// from that record.
using SlipsP2P.Libp2p.Crypto;
using SlipsP2P.Libp2p.Discovery;
using SlipsP2P.Libp2p.Multiformats;

namespace SlipsP2P.Libp2p.Transport;

public sealed partial class Libp2pHost
{
    private readonly Lock _recordSync = new();
    private byte[]? _localRecord;
    private Multiaddr[] _localRecordAddresses = [];
    private ulong _localRecordSequence;

    /// <summary>
    /// Our signed peer record for the advertised addresses, signed once and again (with a larger sequence number)
    /// whenever they change.
    /// </summary>
    public byte[] LocalSignedPeerRecord()
    {
        var addresses = GetAdvertisedAddresses();
        lock (_recordSync)
        {
            if (_localRecord is not null && addresses.SequenceEqual(_localRecordAddresses)) return _localRecord;
            // RFC 0003: a newer record has a larger seq. Microseconds of wall-clock time (js uses milliseconds, go
            // nanoseconds), and never less than the last one plus one.
            ulong now = (ulong)Math.Max(0, TimeProvider.GetUtcNow().ToUnixTimeMilliseconds()) * 1000;
            ulong sequence = Math.Max(_localRecordSequence + 1, now);
            _localRecord = SignedPeerRecord.Seal(Identity, sequence, addresses);
            _localRecordAddresses = [.. addresses];
            _localRecordSequence = sequence;
            return _localRecord;
        }
    }

    /// <summary>
    /// The signed peer record (envelope bytes) <paramref name="peer"/> sent us through identify, verified and about that
    /// peer; null when it is not connected or sent none.
    /// </summary>
    public byte[]? SignedPeerRecordOf(PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        foreach (var c in Connections.GetConnections(peer))
        {
            if (c.Identify?.SignedPeerRecord is { } record) return record;
        }

        return null;
    }
}

using SlipsP2P.Core;

namespace SlipsP2P.Ingest.App;

/// <summary>The application protocol recognised in a flow.</summary>
internal enum AppKind : byte
{
    None,
    Dns,
    Http,
    Tls,
    Ssh,
    Telnet,
}

/// <summary>What an application record needs to know about its flow.</summary>
internal readonly record struct FlowIdentity(
    IpAddr Orig, ushort OrigPort, IpAddr Resp, ushort RespPort, byte Protocol, double Start, long FirstPacket, long Counter, ulong UidSeed)
{
    /// <summary>Copies the flow's tuple and uid into a record.</summary>
    public T Stamp<T>(T record, PackedUid uid, double timestamp)
        where T : NetEvent
    {
        record.SetUid(uid);
        record.Timestamp = timestamp;
        record.Source = Orig;
        record.Destination = Resp;
        record.SourcePort = OrigPort;
        record.DestinationPort = RespPort;
        record.SourceLine = FirstPacket;
        return record;
    }
}

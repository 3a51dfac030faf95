using System.Runtime.CompilerServices;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Flows;

/// <summary>The history letters of a connection, in order of first appearance (at most 32).</summary>
[InlineArray(32)]
internal struct HistoryBuffer
{
    private byte _element0;
}

/// <summary>One live flow, kept by value in the flow table's array (its index key is derived from the tuple, not stored).</summary>
internal struct FlowState
{
    // What a sweep reads of every slot comes first, so that it lies in one cache line (the struct is laid out in
    // declaration order): the sweep walks every live slot once a second of packet time.
    public double Last;
    public double Start;
    public long FirstPacket;
    public double AttemptAt;
    public double HalfCloseAt;
    public double CloseCompleteAt;
    public bool InUse;
    public byte Protocol;
    public TcpEndpointState OrigState;
    public TcpEndpointState RespState;
    public bool OrigDidClose;
    public bool RespDidClose;
    public ushort OrigPort;
    public ushort RespPort;

    // History: which letters were seen (orig in the low 16 bits, resp in the high 16), and their order.
    public byte HistoryLength;

    // Application layer
    public byte InspectedOrig;
    public byte InspectedResp;
    public int App; // index into the table's application states, -1 when none
    public uint HistorySeen;

    public IpAddr Orig;
    public IpAddr Resp;
    public long Counter;

    public long OrigPackets;
    public long RespPackets;
    public long OrigBytes;
    public long RespBytes;
    public long OrigIpBytes;
    public long RespIpBytes;
    public ulong OrigMac;

    // TCP
    public TcpEndpointState OrigPrevState;
    public TcpEndpointState RespPrevState;
    public bool OrigSeqKnown;
    public bool RespSeqKnown;
    public uint OrigSeqEnd;
    public uint RespSeqEnd;

    public HistoryBuffer History;
}

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
    public IpAddr Orig;
    public IpAddr Resp;
    public ushort OrigPort;
    public ushort RespPort;
    public byte Protocol;
    public bool InUse;

    public double Start;
    public double Last;
    public long Counter;
    public long FirstPacket;

    public long OrigPackets;
    public long RespPackets;
    public long OrigBytes;
    public long RespBytes;
    public long OrigIpBytes;
    public long RespIpBytes;
    public ulong OrigMac;

    // TCP
    public TcpEndpointState OrigState;
    public TcpEndpointState RespState;
    public TcpEndpointState OrigPrevState;
    public TcpEndpointState RespPrevState;
    public bool OrigDidClose;
    public bool RespDidClose;
    public bool OrigSeqKnown;
    public bool RespSeqKnown;
    public uint OrigSeqEnd;
    public uint RespSeqEnd;
    public double AttemptAt;
    public double HalfCloseAt;
    public double CloseCompleteAt;

    // History: which letters were seen (orig in the low 16 bits, resp in the high 16), and their order.
    public uint HistorySeen;
    public byte HistoryLength;
    public HistoryBuffer History;

    // Application layer
    public byte InspectedOrig;
    public byte InspectedResp;
    public int App; // index into the table's application states, -1 when none
}

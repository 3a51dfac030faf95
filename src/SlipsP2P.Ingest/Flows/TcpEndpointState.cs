namespace SlipsP2P.Ingest.Flows;

/// <summary>Zeek's TCP endpoint states (TCP_Endpoint.h), from which conn_state is derived.</summary>
internal enum TcpEndpointState : byte
{
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

namespace SlipsP2P.Core;

/// <summary>A DHCP exchange (Zeek dhcp.log): <see cref="NetEvent.Source"/> is client_addr, <see cref="NetEvent.Destination"/> server_addr.</summary>
public sealed class DhcpRecord : NetEvent
{
    /// <summary>The client's MAC address, or empty.</summary>
    public string Mac { get; set; } = "";

    /// <summary>The address the client asked for (requested_addr), or <see cref="IpAddr.None"/>.</summary>
    public IpAddr RequestedAddress { get; set; }

    /// <summary>The address the server assigned (assigned_addr), or <see cref="IpAddr.None"/>.</summary>
    public IpAddr AssignedAddress { get; set; }
}

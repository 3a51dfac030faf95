using SlipsP2P.Ingest.Packets;

namespace SlipsP2P.Ingest.Pcap;

/// <summary>
/// What <see cref="PcapSource.ReadFrames"/> does with each decoded frame. Implemented by structs, so the generic loop
/// is specialised per handler and the calls are direct.
/// </summary>
internal interface IFrameHandler
{
    /// <summary>An IP packet (status <see cref="DecodeStatus.Ip"/>).</summary>
    void OnIp(ref DecodedPacket packet, ref CapturedFrame frame);

    /// <summary>An ARP packet.</summary>
    void OnArp(ref DecodedPacket packet, ref CapturedFrame frame);

    /// <summary>Anything else that was read (not IP, a fragment, bad headers): only the clock moves.</summary>
    void OnOther(ref CapturedFrame frame);
}

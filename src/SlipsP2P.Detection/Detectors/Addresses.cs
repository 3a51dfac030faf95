namespace SlipsP2P.Detection.Detectors;

/// <summary>Address tests the scan detectors share.</summary>
public static class Addresses
{
    /// <summary>
    /// True when a destination can be a scan target: not multicast, broadcast, loopback, unspecified, link-local or
    /// reserved (Slips' <c>are_detection_modules_interested_in_this_ip</c>, plus broadcast).
    /// </summary>
    public static bool IsScanTarget(IpAddr ip)
    {
        if (ip.IsNone || ip.IsMulticast || ip.IsBroadcast) return false;
        if (ip.IsV4)
        {
            uint a = ip.V4;
            if ((a >> 24) == 127 || (a >> 24) == 0 || (a >> 16) == 0xA9FE || (a >> 28) == 0xF) return false;
            return true;
        }

        // ::1 loopback, fe80::/10 link-local
        if (ip.High == 0 && ip.Low == 1) return false;
        return (ip.High >> 54) != (0xFE80 >> 6);
    }

    /// <summary>Formats a confidence the way descriptions print it (at most two decimals, invariant culture).</summary>
    public static string FormatConfidence(double confidence) =>
        confidence.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
}

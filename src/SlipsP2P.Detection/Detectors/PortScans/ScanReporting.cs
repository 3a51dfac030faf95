namespace SlipsP2P.Detection.Detectors.PortScans;

/// <summary>When scan evidence is (re)reported, and with what confidence: Slips' network_discovery rules.</summary>
public static class ScanReporting
{
    /// <summary>
    /// True when <paramref name="count"/> distinct targets deserve a new evidence: the first at
    /// <paramref name="minimum"/>, then each time <c>floor(log10(count))</c> passes that of the last reported count
    /// (10, 100, 1000 with the default minimum of 10), so a scan gives a few evidence, not one per port.
    /// </summary>
    public static bool ShouldReport(int count, int lastReported, int minimum)
    {
        if (count < minimum || count <= lastReported) return false;
        if (lastReported <= 0) return true;
        return Log10Floor(count) > Log10Floor(lastReported);
    }

    /// <summary>Slips' <c>calculate_confidence</c>: packets/10 capped at 1, and 0.3 when no packet count is known.</summary>
    public static double Confidence(long packets) => packets <= 0 ? 0.3 : Math.Min(1.0, packets / 10.0);

    private static int Log10Floor(int n)
    {
        int d = 0;
        while (n >= 10)
        {
            n /= 10;
            d++;
        }

        return d;
    }
}

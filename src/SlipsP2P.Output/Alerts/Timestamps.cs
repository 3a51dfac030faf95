using System.Globalization;

namespace SlipsP2P.Output.Alerts;

/// <summary>Timestamp formatting shared by the writers.</summary>
public static class Timestamps
{
    /// <summary>Unix seconds to ISO 8601 with microseconds and an explicit UTC offset (as IDMEFv2 and Slips print).</summary>
    public static string Iso(double unixSeconds)
    {
        if (double.IsNaN(unixSeconds) || double.IsInfinity(unixSeconds)) unixSeconds = 0;
        long micros = (long)Math.Round(unixSeconds * 1_000_000);
        micros = Math.Clamp(micros, -62_135_596_800_000_000L, 253_402_300_799_000_000L);
        var dt = DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
        return dt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);
    }
}

namespace SlipsP2P.Core;

/// <summary>
/// Slips' global time windows: <c>tw = floor((ts - first_ts) / width) + 1</c>, numbered from the first record of the
/// input, not per profile. The clock is the traffic's own timestamps.
/// </summary>
public sealed class TimeWindows
{
    /// <summary>Creates windows of <paramref name="width"/> seconds.</summary>
    public TimeWindows(double width)
    {
        if (!(width > 0)) throw new ArgumentOutOfRangeException(nameof(width), width, "time window width must be positive");
        Width = width;
    }

    /// <summary>Window width in seconds.</summary>
    public double Width { get; }

    /// <summary>Timestamp of the first record; NaN until the first record is seen.</summary>
    public double Origin { get; private set; } = double.NaN;

    /// <summary>The 1-based window number of <paramref name="timestamp"/>; the first call fixes the origin.</summary>
    public int Number(double timestamp)
    {
        if (double.IsNaN(Origin)) Origin = timestamp;
        double d = timestamp - Origin;
        // Records slightly out of order before the origin stay in window 1 (Slips would give 0 or negative).
        return d <= 0 ? 1 : (int)Math.Min(int.MaxValue - 1, Math.Floor(d / Width)) + 1;
    }

    /// <summary>Start time of window <paramref name="number"/>.</summary>
    public double Start(int number) => Origin + ((number - 1) * Width);

    /// <summary>End time of window <paramref name="number"/>.</summary>
    public double End(int number) => Start(number) + Width;
}

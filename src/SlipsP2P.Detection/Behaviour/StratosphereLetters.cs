namespace SlipsP2P.Detection.Behaviour;

/// <summary>
/// The Stratosphere behavioural model: each flow of a tuple (profile, other IP, port, protocol) becomes one letter
/// from its periodicity, size and duration, with characters for the time since the previous flow, as Slips'
/// <c>slips_files/core/helpers/symbols_handler.py</c> computes them.
/// </summary>
public static class StratosphereLetters
{
    /// <summary>Periodicity bands of TD = max(T2/T1, T1/T2): strongly periodic up to 1.05, then 1.3, then 5.</summary>
    public const double StrongPeriodicity = 1.05;
    public const double WeakPeriodicity = 1.3;
    public const double WeakNonPeriodicity = 5.0;

    /// <summary>Duration bands in seconds.</summary>
    public const double ShortDuration = 0.1;
    public const double MediumDuration = 10.0;

    /// <summary>Size bands in bytes.</summary>
    public const double SmallSize = 250.0;
    public const double MediumSize = 1100.0;

    /// <summary>One '0' is written per this many seconds of silence.</summary>
    public const double HourSeconds = 3600.0;

    // Rows: periodicity -1 (no history), 1 strong, 2 weak, 3 weakly not, 4 strongly not periodic. Within a row the
    // index is (size band - 1) * 3 + (duration band - 1).
    private const string NoHistory = "123456789";
    private const string StronglyPeriodic = "abcdefghi";
    private const string WeaklyPeriodic = "ABCDEFGHI";
    private const string WeaklyNotPeriodic = "rstuvwxyz";
    private const string StronglyNotPeriodic = "RSTUVWXYZ";

    /// <summary>
    /// Periodicity 1..4 from the gaps between the last three flows (T1 the older gap, T2 the newer), or -1 when
    /// there is no history yet (fewer than two earlier flows). A zero gap counts as strongly periodic, as in Slips.
    /// </summary>
    public static int Periodicity(double t1, double t2)
    {
        double td;
        if (t1 == 0 || t2 == 0) td = 1;
        else td = t2 >= t1 ? t2 / t1 : t1 / t2;
        return td <= StrongPeriodicity ? 1 : td <= WeakPeriodicity ? 2 : td <= WeakNonPeriodicity ? 3 : 4;
    }

    /// <summary>Duration band: 1 up to 0.1 s, 2 up to 10 s, 3 above.</summary>
    public static int DurationBand(double duration) => duration <= ShortDuration ? 1 : duration <= MediumDuration ? 2 : 3;

    /// <summary>Size band: 1 up to 250 bytes, 2 up to 1100, 3 above.</summary>
    public static int SizeBand(long bytes) => bytes <= SmallSize ? 1 : bytes <= MediumSize ? 2 : 3;

    /// <summary>The letter for a periodicity (-1 or 1..4), size band and duration band (each 1..3).</summary>
    public static char Letter(int periodicity, int sizeBand, int durationBand)
    {
        string row = periodicity switch
        {
            1 => StronglyPeriodic,
            2 => WeaklyPeriodic,
            3 => WeaklyNotPeriodic,
            4 => StronglyNotPeriodic,
            _ => NoHistory,
        };
        return row[((Math.Clamp(sizeBand, 1, 3) - 1) * 3) + (Math.Clamp(durationBand, 1, 3) - 1)];
    }

    /// <summary>The time character for the gap since the previous flow: '.' up to 5 s, ',' up to 60 s, '+' up to 300 s,
    /// '*' up to 3600 s, nothing above (the zeros say it) or for a zero gap.</summary>
    public static char? TimeChar(double gap)
    {
        if (gap == 0) return null;
        if (gap <= 5) return '.';
        if (gap <= 60) return ',';
        if (gap <= 300) return '+';
        if (gap <= HourSeconds) return '*';
        return null;
    }
}

/// <summary>
/// The letters of one tuple: the last two flow times and the string so far, bounded in length. Most tuples see one or
/// two flows, so the first <see cref="InlineLength"/> characters live in the object itself and an array is made only
/// for longer strings.
/// </summary>
public sealed class TupleLetters
{
    /// <summary>Characters kept per tuple; later flows are counted but not written.</summary>
    public const int MaxLength = 2048;

    /// <summary>Characters held without an array.</summary>
    public const int InlineLength = 4;

    private ulong _inline;
    private char[]? _letters;
    private int _length;
    private double _last = double.NaN;
    private double _lastLast = double.NaN;

    /// <summary>The letters so far.</summary>
    public string Letters
    {
        get
        {
            if (_letters is not null) return new string(_letters, 0, _length);
            Span<char> chars = stackalloc char[InlineLength];
            for (int i = 0; i < _length; i++) chars[i] = (char)(_inline >> (16 * i));
            return new string(chars[.._length]);
        }
    }

    /// <summary>Characters written so far.</summary>
    public int Length => _length;

    /// <summary>Flows seen.</summary>
    public long Flows { get; private set; }

    /// <summary>True when the string reached <see cref="MaxLength"/> and later symbols were not written.</summary>
    public bool Truncated { get; private set; }

    /// <summary>Adds a flow starting at <paramref name="timestamp"/>, appending its symbol (zeros, letter, time character).</summary>
    public void Add(double timestamp, double duration, long bytes)
    {
        Flows++;
        int periodicity = -1;
        int zeros = 0;
        char? timeChar = null;
        if (!double.IsNaN(_last) && !double.IsNaN(_lastLast))
        {
            double t1 = _last - _lastLast;
            double t2 = timestamp - _last;
            if (t2 >= StratosphereLetters.HourSeconds) zeros = (int)Math.Min(MaxLength, t2 / StratosphereLetters.HourSeconds);
            periodicity = StratosphereLetters.Periodicity(t1, t2);
            timeChar = StratosphereLetters.TimeChar(t2);
        }

        _lastLast = _last;
        _last = timestamp;
        char letter = StratosphereLetters.Letter(periodicity, StratosphereLetters.SizeBand(bytes), StratosphereLetters.DurationBand(duration));
        int length = zeros + 1 + (timeChar.HasValue ? 1 : 0);
        if (Truncated || _length + length > MaxLength)
        {
            Truncated = true;
            return;
        }

        for (int i = 0; i < zeros; i++) Append('0');
        Append(letter);
        if (timeChar.HasValue) Append(timeChar.Value);
    }

    private void Append(char c)
    {
        if (_letters is null && _length < InlineLength)
        {
            _inline |= (ulong)c << (16 * _length);
            _length++;
            return;
        }

        if (_letters is null)
        {
            _letters = new char[16];
            for (int i = 0; i < _length; i++) _letters[i] = (char)(_inline >> (16 * i));
        }
        else if (_length == _letters.Length)
        {
            Array.Resize(ref _letters, Math.Min(MaxLength, _letters.Length * 2));
        }

        _letters[_length++] = c;
    }
}

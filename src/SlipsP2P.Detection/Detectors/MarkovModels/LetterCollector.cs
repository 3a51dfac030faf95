using SlipsP2P.Detection.Behaviour;

namespace SlipsP2P.Detection.Detectors.MarkovModels;

/// <summary>
/// Collects training strings for <see cref="MarkovModel"/>: the behavioural letters of every tuple (source,
/// destination, port, protocol) built from the same flows the <see cref="MarkovDetector"/> judges (established
/// TCP/UDP to a unicast destination), over the whole input (no time windows), optionally only for one destination
/// port or one source. Tuples are capped at <see cref="MaxTuples"/>; strings at <see cref="TupleLetters.MaxLength"/>.
/// </summary>
public sealed class LetterCollector : IEventSink
{
    /// <summary>Tuples kept; later new tuples are counted in <see cref="Dropped"/>.</summary>
    public const int MaxTuples = 65536;

    private readonly Dictionary<(IpAddr Source, IpAddr Destination, ushort Port, Protocol Protocol), TupleLetters> _tuples = new();
    private readonly List<(IpAddr Source, IpAddr Destination, ushort Port, Protocol Protocol)> _order = new();

    /// <summary>Only flows to this destination port, when set.</summary>
    public ushort? Port { get; init; }

    /// <summary>Only flows from this source, when set.</summary>
    public IpAddr? Source { get; init; }

    /// <summary>New tuples refused by <see cref="MaxTuples"/>.</summary>
    public long Dropped { get; private set; }

    public void OnEvent(NetEvent record)
    {
        if (record is not FlowRecord flow) return;
        if (!flow.Established || flow.Protocol is not (Protocol.Tcp or Protocol.Udp) || !double.IsFinite(flow.Timestamp)) return;
        if (flow.Source.IsNone || !Addresses.IsScanTarget(flow.Destination)) return;
        if (Port is { } p && flow.DestinationPort != p) return;
        if (Source is { } s && flow.Source != s) return;
        var key = (flow.Source, flow.Destination, flow.DestinationPort, flow.Protocol);
        if (!_tuples.TryGetValue(key, out var letters))
        {
            if (_tuples.Count >= MaxTuples)
            {
                Dropped++;
                return;
            }

            letters = new TupleLetters();
            _tuples[key] = letters;
            _order.Add(key);
        }

        letters.Add(flow.Timestamp, flow.Duration, flow.TotalBytes);
    }

    /// <summary>The strings of the tuples with at least <paramref name="minLetters"/> flows, in first-seen order, with their tuple names.</summary>
    public IReadOnlyList<(string Tuple, string Letters)> Strings(int minLetters)
    {
        var result = new List<(string, string)>();
        foreach (var key in _order)
        {
            var letters = _tuples[key];
            if (letters.Flows < minLetters) continue;
            result.Add(($"{key.Source} {key.Destination}-{key.Port}-{key.Protocol.ToName()}", letters.Letters));
        }

        return result;
    }
}

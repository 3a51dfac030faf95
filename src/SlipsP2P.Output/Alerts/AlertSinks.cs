using SlipsP2P.Core;

namespace SlipsP2P.Output.Alerts;

/// <summary>Fans evidence and alerts out to several sinks, in order.</summary>
public sealed class AlertFanOut : IAlertSink
{
    private readonly IAlertSink[] _sinks;

    public AlertFanOut(params IAlertSink[] sinks) => _sinks = sinks;

    public void OnEvidence(Evidence evidence)
    {
        foreach (var s in _sinks) s.OnEvidence(evidence);
    }

    public void OnAlert(Alert alert)
    {
        foreach (var s in _sinks) s.OnAlert(alert);
    }
}

/// <summary>Counts evidence per type and alerts per profile, for the console summary.</summary>
public sealed class AlertCounter : IAlertSink
{
    private readonly Dictionary<string, int> _byType = new(StringComparer.Ordinal);
    private readonly Dictionary<IpAddr, int> _alertsByProfile = new();
    private readonly Dictionary<IpAddr, SortedSet<string>> _typesByAttacker = new();

    /// <summary>Evidence count per type.</summary>
    public IReadOnlyDictionary<string, int> EvidenceByType => _byType;

    /// <summary>Alert count per profile.</summary>
    public IReadOnlyDictionary<IpAddr, int> AlertsByProfile => _alertsByProfile;

    /// <summary>Evidence types per attacker.</summary>
    public IReadOnlyDictionary<IpAddr, SortedSet<string>> TypesByAttacker => _typesByAttacker;

    public int Evidence { get; private set; }

    public int Alerts { get; private set; }

    public void OnEvidence(Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        Evidence++;
        _byType[evidence.Type] = _byType.GetValueOrDefault(evidence.Type) + 1;
        if (!_typesByAttacker.TryGetValue(evidence.Attacker, out var set)) _typesByAttacker[evidence.Attacker] = set = new SortedSet<string>(StringComparer.Ordinal);
        set.Add(evidence.Type);
    }

    public void OnAlert(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        Alerts++;
        _alertsByProfile[alert.Profile] = _alertsByProfile.GetValueOrDefault(alert.Profile) + 1;
    }
}

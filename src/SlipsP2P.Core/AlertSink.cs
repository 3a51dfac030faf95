namespace SlipsP2P.Core;

/// <summary>Receives what detection produces: each evidence as it is raised, each alert as it fires.</summary>
public interface IAlertSink
{
    /// <summary>Called for every evidence that is not whitelisted, after the engine set its time window.</summary>
    void OnEvidence(Evidence evidence);

    /// <summary>Called when a profile's accumulated threat level reaches its threshold in a window.</summary>
    void OnAlert(Alert alert);
}

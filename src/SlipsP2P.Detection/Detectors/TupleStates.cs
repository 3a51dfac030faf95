using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection.Detectors;

/// <summary>A behavioural tuple as Slips keys it: the profile, the destination, its port and the protocol.</summary>
internal readonly record struct TupleKey(IpAddr Source, IpAddr Destination, ushort Port, Protocol Protocol);

/// <summary>Per-tuple detector state that belongs to one time window.</summary>
internal interface IWindowedState
{
    /// <summary>The window the state was last reset for.</summary>
    int Window { get; }
}

/// <summary>Eviction shared by the detectors that keep state per tuple and window.</summary>
internal static class TupleStates
{
    /// <summary>Drops the tuples whose state belongs to a window before <paramref name="window"/>.</summary>
    public static void EvictBefore<TState>(Dictionary<TupleKey, TState> tuples, int window)
        where TState : IWindowedState
    {
        // Dictionary allows Remove while it is being enumerated (.NET Core 3.0 and later).
        foreach (var (key, state) in tuples)
        {
            if (state.Window < window) tuples.Remove(key);
        }
    }
}

/// <summary>Key operations of <see cref="TupleKey"/> for the flat maps.</summary>
internal readonly struct TupleKeyOps : IFlatKey<TupleKey>
{
    public ulong Hash(in TupleKey key)
    {
        ulong h = FlatHash.Mix(key.Source.High ^ (((ulong)key.Port << 8) | (byte)key.Protocol));
        h = FlatHash.Mix(h ^ key.Source.Low);
        h = FlatHash.Mix(h ^ key.Destination.High);
        return FlatHash.Mix(h ^ key.Destination.Low);
    }

    public bool Equal(in TupleKey a, in TupleKey b) => a.Equals(b);
}

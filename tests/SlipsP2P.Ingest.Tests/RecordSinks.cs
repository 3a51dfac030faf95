using System.Text;
using System.Text.Json;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Tests;

/// <summary>Records as text, one line each (type and JSON), for comparing two runs record for record.</summary>
internal static class RecordText
{
    private static readonly JsonSerializerOptions s_json = new();

    public static string Of(IEnumerable<NetEvent> events)
    {
        var text = new StringBuilder();
        foreach (var e in events) text.Append(e.GetType().Name).Append(' ').Append(JsonSerializer.Serialize(e, e.GetType(), s_json)).Append('\n');
        return text.ToString();
    }
}

/// <summary>Two runs of the same input counted the same packets, flows and records.</summary>
internal static class StatsAssert
{
    public static void SameCounts(IngestStats expected, IngestStats actual)
    {
        Assert.Equal(expected.Packets, actual.Packets);
        Assert.Equal(expected.Flows, actual.Flows);
        Assert.Equal(expected.Records, actual.Records);
    }
}

/// <summary>A sink that fails after <c>after</c> records, as a detector or writer that breaks would.</summary>
internal sealed class ThrowingSink(int after) : IEventSink
{
    private int _seen;

    public void OnEvent(NetEvent record)
    {
        if (++_seen > after) throw new InvalidOperationException("sink failed");
    }
}

/// <summary>A sink that cancels the run when it has seen <c>after</c> records (Ctrl-C part-way).</summary>
internal sealed class CancellingSink(CancellationTokenSource cts, int after) : IEventSink
{
    public int Seen { get; private set; }

    public void OnEvent(NetEvent record)
    {
        if (++Seen == after) cts.Cancel();
    }
}

/// <summary>
/// A sink that keeps the records and the prefetch hints (<see cref="IEventSink.Prefetch"/>) in one timeline, and checks
/// that each hinted record comes after its hint.
/// </summary>
internal sealed class PrefetchRecordingSink : IEventSink
{
    private readonly Dictionary<NetEvent, int> _hintedAt = new(ReferenceEqualityComparer.Instance);

    public List<NetEvent> Events { get; } = new();

    /// <summary>Records sent after a hint, and how many records before them it came.</summary>
    public List<(NetEvent Record, int Ahead)> Hinted { get; } = new();

    public int Hints { get; private set; }

    public void OnEvent(NetEvent record)
    {
        if (_hintedAt.Remove(record, out int at)) Hinted.Add((record, Events.Count - at));
        Events.Add(record);
    }

    public void Prefetch(NetEvent record)
    {
        Hints++;
        _hintedAt.TryAdd(record, Events.Count);
    }

    /// <summary>Hints for records that were never sent (after the input ended).</summary>
    public int Unsent => _hintedAt.Count;
}

/// <summary>A sink that keeps no record (<see cref="IEventSink.KeepsRecords"/> false): it writes each down as text when it comes.</summary>
internal sealed class SnapshotSink : IEventSink
{
    private readonly HashSet<NetEvent> _objects = new(ReferenceEqualityComparer.Instance);

    public List<string> Texts { get; } = new();

    /// <summary>Distinct flow record objects seen.</summary>
    public int FlowObjects { get; private set; }

    public int Flows { get; private set; }

    public bool KeepsRecords => false;

    public void OnEvent(NetEvent record)
    {
        Texts.Add(RecordText.Of([record]));
        if (record is not FlowRecord) return;
        Flows++;
        if (_objects.Add(record)) FlowObjects++;
    }
}

using System.Globalization;
using SlipsP2P.Core;

namespace SlipsP2P.Output.Alerts;

/// <summary>
/// Writes alerts.log: one human line per evidence and per alert, in the shape Slips uses
/// (<c>evidence_formatter.py</c>): <c>&lt;ts&gt; (TW n): Src IP &lt;ip:26&gt;. Detected &lt;description&gt;</c>.
/// Timestamps are the traffic's own, so the same input gives the same file. The writer is flushed after every line when
/// <c>flushEachRecord</c> (a live sensor's log is followed as it grows), otherwise after alerts and at the end.
/// </summary>
public sealed class AlertLogWriter : IAlertSink, IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly bool _flushEachRecord;

    /// <summary>Writes to <paramref name="writer"/>; disposes it when <paramref name="ownsWriter"/>.</summary>
    public AlertLogWriter(TextWriter writer, bool ownsWriter = true, bool flushEachRecord = false)
    {
        _writer = writer;
        _ownsWriter = ownsWriter;
        _flushEachRecord = flushEachRecord;
    }

    /// <summary>Creates (or truncates) <paramref name="path"/>.</summary>
    public static AlertLogWriter Create(string path, bool flushEachRecord = false) =>
        new(new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 1 << 16) { NewLine = "\n" }, flushEachRecord: flushEachRecord);

    public void OnEvidence(Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        _writer.Write(Timestamps.Iso(evidence.Timestamp));
        _writer.Write(" (TW ");
        _writer.Write(evidence.TimeWindow.ToString(CultureInfo.InvariantCulture));
        _writer.Write("): Src IP ");
        _writer.Write(evidence.Attacker.ToString().PadRight(26));
        _writer.Write(". Detected ");
        _writer.Write(evidence.Description);
        _writer.Write(" threat level: ");
        _writer.Write(evidence.ThreatLevel.ToName());
        _writer.Write(", confidence: ");
        _writer.Write(evidence.Confidence.ToString("0.##", CultureInfo.InvariantCulture));
        _writer.Write('\n');
        if (_flushEachRecord) _writer.Flush();
    }

    public void OnAlert(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        _writer.Write(Timestamps.Iso(alert.Timestamp));
        _writer.Write(": Src IP ");
        _writer.Write(alert.Profile.ToString().PadRight(26));
        _writer.Write(". Generated an alert given enough evidence on timewindow ");
        _writer.Write(alert.TimeWindow.ToString(CultureInfo.InvariantCulture));
        _writer.Write(" (accumulated threat level ");
        _writer.Write(alert.AccumulatedThreatLevel.ToString("0.##", CultureInfo.InvariantCulture));
        _writer.Write(" >= threshold ");
        _writer.Write(alert.Threshold.ToString("0.##", CultureInfo.InvariantCulture));
        _writer.Write(", ");
        _writer.Write(alert.Evidence.Count.ToString(CultureInfo.InvariantCulture));
        _writer.Write(" evidence). Window ");
        _writer.Write(Timestamps.Iso(alert.WindowStart));
        _writer.Write(" to ");
        _writer.Write(Timestamps.Iso(alert.WindowEnd));
        _writer.Write('\n');
        _writer.Flush();
    }

    public void Dispose()
    {
        _writer.Flush();
        if (_ownsWriter) _writer.Dispose();
    }
}

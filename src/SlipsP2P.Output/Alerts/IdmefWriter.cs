using System.Buffers;
using System.Globalization;
using System.Text.Json;
using SlipsP2P.Core;

namespace SlipsP2P.Output.Alerts;

/// <summary>
/// Writes alerts.json: one IDMEFv2 (version 2.0.3) object per line. Evidence is Status "Event"; an alert is
/// Status "Incident" whose CorrelID lists the IDs of the evidence that made it. Each Event's Note is a JSON
/// object (as a string, as Slips writes it) with evidence_type, threat_level, confidence and timewindow.
/// Each object is built in memory and written whole; the file is flushed after every line when
/// <c>flushEachRecord</c> (someone may be following a live sensor's output), otherwise only after an alert and at the
/// end, so that an offline run with many evidence does not pay a write system call per line.
/// </summary>
public sealed class IdmefWriter : IAlertSink, IDisposable
{
    /// <summary>The IDMEF version Slips writes since 1.1.2.</summary>
    public const string IdmefVersion = "2.0.3";

    private static readonly string s_model = typeof(IdmefWriter).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    private readonly Stream _stream;
    private readonly ArrayBufferWriter<byte> _line = new(4096);
    private readonly Utf8JsonWriter _json;
    private readonly bool _flushEachRecord;
    private readonly string _analyzerIp;
    private readonly Func<DateTimeOffset> _now;

    /// <summary>Writes to <paramref name="stream"/> (owned, disposed with the writer).</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="analyzerIp">The sensor's address (0.0.0.0 for offline analysis, as Slips does).</param>
    /// <param name="now">The clock for CreateTime.</param>
    /// <param name="flushEachRecord">Flush the stream after every line, not only after alerts and at the end.</param>
    public IdmefWriter(Stream stream, string analyzerIp = "0.0.0.0", Func<DateTimeOffset>? now = null, bool flushEachRecord = true)
    {
        _stream = stream;
        _flushEachRecord = flushEachRecord;
        _json = new Utf8JsonWriter(_line, new JsonWriterOptions { Indented = false, SkipValidation = false });
        _analyzerIp = analyzerIp;
        _now = now ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>Creates (or truncates) <paramref name="path"/>.</summary>
    public static IdmefWriter Create(string path, bool flushEachRecord = true) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), flushEachRecord: flushEachRecord);

    /// <summary>The IDMEFv2 severity of a threat level (critical maps to High, as in Slips).</summary>
    public static string Severity(ThreatLevel level) => level switch
    {
        ThreatLevel.Info => "Info",
        ThreatLevel.Low => "Low",
        ThreatLevel.Medium => "Medium",
        _ => "High",
    };

    public void OnEvidence(Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        _json.Reset(_line);
        _json.WriteStartObject();
        _json.WriteString("Version", IdmefVersion);
        WriteAnalyzer(evidence.Method);
        _json.WriteString("Status", "Event");
        _json.WriteString("ID", evidence.Id);
        _json.WriteString("Severity", Severity(evidence.ThreatLevel));
        _json.WriteString("StartTime", Timestamps.Iso(evidence.Timestamp));
        _json.WriteString("CreateTime", _now().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture));
        _json.WriteNumber("Confidence", Math.Round(evidence.Confidence, 4));
        _json.WriteString("Description", evidence.Description);

        _json.WriteStartArray("Source");
        _json.WriteStartObject();
        if (evidence.Direction == AttackerDirection.Source && !evidence.Attacker.IsNone) _json.WriteString("IP", evidence.Attacker.ToString());
        else if (!evidence.Victim.IsNone) _json.WriteString("IP", evidence.Victim.ToString());
        if (evidence.Protocol != Protocol.Other)
        {
            _json.WriteStartArray("Protocol");
            _json.WriteStringValue(evidence.Protocol.ToName().ToUpperInvariant());
            _json.WriteEndArray();
        }

        _json.WriteEndObject();
        _json.WriteEndArray();

        IpAddr target = evidence.Direction == AttackerDirection.Source ? evidence.Victim : evidence.Attacker;
        if (!target.IsNone || evidence.AttackerIoc.Length > 0)
        {
            _json.WriteStartArray("Target");
            _json.WriteStartObject();
            if (!target.IsNone) _json.WriteString("IP", target.ToString());
            if (evidence.AttackerIoc.Length > 0) _json.WriteString("Hostname", evidence.AttackerIoc);
            if (evidence.Port != 0)
            {
                _json.WriteStartArray("Port");
                _json.WriteNumberValue(evidence.Port);
                _json.WriteEndArray();
            }

            _json.WriteEndObject();
            _json.WriteEndArray();
        }

        _json.WriteString("Note", EvidenceNote(evidence));
        _json.WriteEndObject();
        WriteLine(flush: _flushEachRecord);
    }

    public void OnAlert(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        _json.Reset(_line);
        _json.WriteStartObject();
        _json.WriteString("Version", IdmefVersion);
        WriteAnalyzer("Heuristic");
        _json.WriteString("Status", "Incident");
        _json.WriteString("ID", alert.Id);
        _json.WriteString("Severity", "High");
        _json.WriteString("StartTime", Timestamps.Iso(alert.Timestamp));
        _json.WriteString("CreateTime", _now().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture));
        _json.WriteString("Description", $"Alert on {alert.Profile} in time window {alert.TimeWindow}: accumulated threat level {alert.AccumulatedThreatLevel.ToString("0.##", CultureInfo.InvariantCulture)} reached the threshold {alert.Threshold.ToString("0.##", CultureInfo.InvariantCulture)}");
        _json.WriteStartArray("Source");
        _json.WriteStartObject();
        _json.WriteString("IP", alert.Profile.ToString());
        _json.WriteEndObject();
        _json.WriteEndArray();
        _json.WriteStartArray("CorrelID");
        foreach (var e in alert.Evidence) _json.WriteStringValue(e.Id);
        _json.WriteEndArray();

        using (var ms = new MemoryStream())
        {
            using (var note = new Utf8JsonWriter(ms))
            {
                note.WriteStartObject();
                note.WriteNumber("accumulated_threat_level", Math.Round(alert.AccumulatedThreatLevel, 4));
                note.WriteNumber("threshold", Math.Round(alert.Threshold, 4));
                note.WriteNumber("timewindow", alert.TimeWindow);
                note.WriteString("StartTime", Timestamps.Iso(alert.WindowStart));
                note.WriteString("EndTime", Timestamps.Iso(alert.WindowEnd));
                note.WriteEndObject();
            }

            _json.WriteString("Note", System.Text.Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length));
        }

        _json.WriteEndObject();
        WriteLine(flush: true);
    }

    // The object built in _line, then a newline, in one write to the stream.
    private void WriteLine(bool flush)
    {
        _json.Flush();
        _line.Write("\n"u8);
        _stream.Write(_line.WrittenSpan);
        _line.ResetWrittenCount();
        if (flush) _stream.Flush();
    }

    private void WriteAnalyzer(string method)
    {
        _json.WriteStartObject("Analyzer");
        _json.WriteString("IP", _analyzerIp);
        _json.WriteString("Name", "SlipsP2P");
        _json.WriteString("Model", s_model);
        _json.WriteStartArray("Category");
        _json.WriteStringValue("NIDS");
        _json.WriteEndArray();
        _json.WriteStartArray("Data");
        _json.WriteStringValue("Flow");
        _json.WriteStringValue("Network");
        _json.WriteEndArray();
        _json.WriteStartArray("Method");
        _json.WriteStringValue(method);
        _json.WriteEndArray();
        _json.WriteEndObject();
    }

    private static string EvidenceNote(Evidence evidence)
    {
        using var ms = new MemoryStream();
        using (var note = new Utf8JsonWriter(ms))
        {
            note.WriteStartObject();
            note.WriteString("evidence_type", evidence.Type);
            note.WriteString("threat_level", evidence.ThreatLevel.ToName());
            note.WriteNumber("confidence", Math.Round(evidence.Confidence, 4));
            note.WriteNumber("timewindow", evidence.TimeWindow);
            note.WriteString("attacker_direction", evidence.Direction == AttackerDirection.Source ? "SRC" : "DST");
            note.WriteString("attacker", evidence.AttackerIoc.Length > 0 ? evidence.AttackerIoc : evidence.Attacker.ToString());
            if (!evidence.Victim.IsNone) note.WriteString("victim", evidence.Victim.ToString());
            note.WriteStartArray("uids");
            foreach (var uid in evidence.Uids) note.WriteStringValue(uid);
            note.WriteEndArray();
            note.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    public void Dispose()
    {
        _json.Dispose();
        _stream.Flush();
        _stream.Dispose();
    }
}

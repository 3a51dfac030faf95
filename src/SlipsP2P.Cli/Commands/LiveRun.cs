using System.Globalization;
using System.Text.Json;
using SlipsP2P.Core;
using SlipsP2P.Ingest.Live;

namespace SlipsP2P.Cli.Commands;

/// <summary>
/// The live side of <c>slips -i IFACE</c>: runs the capture until Ctrl-C, SIGTERM or <c>--duration</c>, prints a
/// progress line with the counters on stderr, and at the end the capture summary on stdout and in capture.json.
/// </summary>
internal static class LiveRun
{
    /// <summary>The file in the output directory that holds the capture's counters (one JSON object).</summary>
    public const string CountersFile = "capture.json";

    /// <summary>A usage problem of the live flags, or null: -F and --duration belong to -i.</summary>
    public static string? CheckRequest(AnalysisRequest request)
    {
        if (request.Interface is null && (request.PcapFilter is not null || request.Duration is not null)) return "-F and --duration go with -i IFACE";
        if (request.Duration is { } d && (!(d > 0) || d > int.MaxValue / 1000)) return $"--duration must be a positive number of seconds, got {d.ToString(CultureInfo.InvariantCulture)}";
        return null;
    }

    /// <summary>Captures and analyses until stopped; the analysis runs on this thread.</summary>
    public static void Run(LiveCaptureSource source, IEventSink sink, double? duration, TextWriter stderr)
    {
        using var stop = new StopSignals();
        if (duration is { } d) stop.CancelAfter(TimeSpan.FromSeconds(d));

        source.Progress = c => stderr.WriteLine(ProgressLine(source, c));
        string filter = source.Filter.Length > 0 ? $" with filter '{source.Filter}'" : "";
        string until = duration is { } s ? string.Create(CultureInfo.InvariantCulture, $"for {s} s") : "until Ctrl-C or SIGTERM";
        stderr.WriteLine($"slips: capturing on {source.Name}{filter} {until}");
        source.Run(sink, stop.Token);
    }

    /// <summary>Prints the capture's counters and writes them to capture.json in <paramref name="outDir"/>.</summary>
    public static void Report(LiveCaptureSource source, string outDir, TimeSpan elapsed, TextWriter stdout, TextWriter stderr)
    {
        var c = source.Counters;
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Format(inv,
            "Capture: {0}: libpcap received {1:N0}, dropped {2:N0} (kernel) and {3:N0} (interface); slips read {4:N0}, dropped {5:N0} (queue full), analysed {6:N0}; loss {7:0.000} %",
            source.Name, c.Received, c.KernelDropped, c.InterfaceDropped, c.Captured, c.QueueDropped, c.Analysed, c.LossPercent));
        string path = Path.Combine(outDir, CountersFile);
        try
        {
            using var file = File.Create(path);
            using (var json = new Utf8JsonWriter(file))
            {
                json.WriteStartObject();
                json.WriteString("interface", source.Name);
                json.WriteString("filter", source.Filter);
                json.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
                json.WriteNumber("ps_recv", c.Received);
                json.WriteNumber("ps_drop", c.KernelDropped);
                json.WriteNumber("ps_ifdrop", c.InterfaceDropped);
                json.WriteNumber("captured", c.Captured);
                json.WriteNumber("queue_dropped", c.QueueDropped);
                json.WriteNumber("analysed", c.Analysed);
                json.WriteNumber("bytes", source.Stats.Bytes);
                json.WriteNumber("flows", source.Stats.Flows);
                json.WriteNumber("loss_percent", Math.Round(c.LossPercent, 6));
                if (source.Failure is { } f) json.WriteString("failure", f);
                else json.WriteNull("failure");
                json.WriteEndObject();
            }

            file.WriteByte((byte)'\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"slips: cannot write {path}: {e.Message}");
        }
    }

    private static string ProgressLine(LiveCaptureSource source, CaptureCounters c) => string.Format(CultureInfo.InvariantCulture,
        "slips: {0}: {1:N0} packets, {2:N0} flows; libpcap received {3:N0}, dropped {4:N0} (kernel) {5:N0} (interface); slips dropped {6:N0}",
        source.Name, c.Analysed, source.Stats.Flows, c.Received, c.KernelDropped, c.InterfaceDropped, c.QueueDropped);
}

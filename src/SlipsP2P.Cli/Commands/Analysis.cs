using System.Diagnostics;
using System.Globalization;
using SlipsP2P.Cli.Configuration;
using SlipsP2P.Core;
using SlipsP2P.Detection;
using SlipsP2P.Ingest;
using SlipsP2P.Ingest.Anonymization;
using SlipsP2P.Ingest.Live;
using SlipsP2P.Ingest.Workers;
using SlipsP2P.Output.Alerts;
using Spectre.Console;

namespace SlipsP2P.Cli.Commands;

/// <summary>Composes one offline analysis: input, optional anonymizer and flow writer, the pipeline, the writers.</summary>
internal static class Analysis
{
    /// <summary>Where the repository (config/, samples/) is: SLIPS_HOME when the ./slips launcher set it, else the working directory.</summary>
    public static string Home => Environment.GetEnvironmentVariable("SLIPS_HOME") is { Length: > 0 } h ? h : Directory.GetCurrentDirectory();

    public static int Run(AnalysisRequest request, TextWriter stdout, TextWriter stderr)
    {
        if (string.IsNullOrEmpty(request.Input) && string.IsNullOrEmpty(request.Interface))
        {
            stderr.WriteLine("slips: no input: give one with -f PATH or -i IFACE (see slips --help)");
            return ExitCodes.UsageError;
        }

        if ((request.Input is not null && request.Interface is not null ? "give either -f PATH or -i IFACE, not both" : LiveRun.CheckRequest(request)) is { } liveProblem)
        {
            stderr.WriteLine("slips: " + liveProblem);
            return ExitCodes.UsageError;
        }

        // Configuration: file, then --set, then the dedicated flags.
        var warnings = new List<string>();
        AnalysisOptions options;
        try
        {
            bool isDefault = request.ConfigPath is null;
            string configPath = request.ConfigPath ?? ResolveInHome("config/slips.yaml");
            var overrides = new List<string>(request.Overrides);
            if (request.TimeWindow is { } w) overrides.Add("parameters.time_window_width=" + w.ToString(CultureInfo.InvariantCulture));
            options = SlipsConfig.Load(configPath, isDefault, overrides, warnings);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine("slips: " + e.Message);
            return ExitCodes.UsageError;
        }

        foreach (var w in warnings) stderr.WriteLine("slips: warning: " + w);
        options.Capture.Interface = request.Interface;
        if (request.PcapFilter is not null) options.Capture.Filter = request.PcapFilter;

        Whitelist? whitelist = null;
        if (options.EnableLocalWhitelist && !request.NoDetection)
        {
            string wlPath = ResolveInHome(options.LocalWhitelistPath);
            if (File.Exists(wlPath))
            {
                whitelist = Whitelist.Load(wlPath);
                foreach (var w in whitelist.Warnings) stderr.WriteLine("slips: warning: " + w);
            }
            else if (options.LocalWhitelistPath != "config/whitelist.conf")
            {
                stderr.WriteLine($"slips: warning: whitelist {wlPath} not found; analysing without it");
            }
        }

        IEventSource source;
        try
        {
            source = options.Capture.IsLive ? new LiveCaptureSource(options) : InputDetector.Open(request.Input!, request.InputType, options, stderr);
        }
        catch (InputException e)
        {
            stderr.WriteLine("slips: " + e.Message);
            return ExitCodes.InputError;
        }

        // The Zeek flow writer fills Community ID and AID when it writes a flow; nothing else reads them. DNS answers'
        // TTLs and a Zeek log's own Community ID and AID texts are read only by the logs --write-flows writes.
        if (source is SlipsP2P.Ingest.Pcap.PcapSource pcap)
        {
            pcap.ComputeFlowIds = false;
            pcap.KeepDnsTtls = request.WriteFlows;
        }

        if (source is LiveCaptureSource liveSource)
        {
            liveSource.ComputeFlowIds = false;
            liveSource.KeepDnsTtls = request.WriteFlows;
        }

        if (source is SlipsP2P.Ingest.FlowFiles.ZeekLogSource zeekSource) zeekSource.KeepFlowIds = request.WriteFlows;
        if (source is SlipsP2P.Ingest.FlowFiles.IParallelParse parse && options.ParseThreads > 0) parse.ParseThreads = options.ParseThreads;

        using (source)
        {
            string outDir = request.OutputDirectory ?? DefaultOutputDirectory(request.Input ?? request.Interface!);
            try
            {
                Directory.CreateDirectory(outDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"slips: cannot create the output directory {outDir}: {e.Message}");
                return ExitCodes.UsageError;
            }

            return Analyse(request, options, whitelist, source, outDir, stdout, stderr);
        }
    }

    private static int Analyse(AnalysisRequest request, AnalysisOptions options, Whitelist? whitelist, IEventSource source,
                               string outDir, TextWriter stdout, TextWriter stderr)
    {
        // Before any output exists: Ctrl-C or SIGTERM during a file's analysis stops the reading, not the process.
        using var signals = source is LiveCaptureSource ? null : new StopSignals();
        var counter = new AlertCounter();
        // Live capture and standard input are followed as they run: every line reaches the files at once. A file's
        // analysis flushes after alerts and at the end.
        bool nonStop = source is LiveCaptureSource || request.Input == "-";
        using var log = AlertLogWriter.Create(Path.Combine(outDir, "alerts.log"), flushEachRecord: nonStop);
        using var json = IdmefWriter.Create(Path.Combine(outDir, "alerts.json"), flushEachRecord: nonStop);
        AnalysisPipeline pipeline;
        try
        {
            // What the detectors' files lack, one line each: a ports list not found (the unknown-port check is off),
            // the threat-intelligence files' load problems.
            var detectorWarnings = new List<string>();
            var detectors = AnalysisPipeline.DefaultDetectors(options, detectorWarnings);
            foreach (var w in detectorWarnings) stderr.WriteLine("slips: warning: " + w);
            pipeline = new AnalysisPipeline(options, new AlertFanOut(log, json, counter), detectors, NeutralThresholdFactor.Instance, whitelist, detect: !request.NoDetection);
        }
        catch (InvalidDataException e)
        {
            // A detector's files (models) are unreadable: the message names the file.
            stderr.WriteLine("slips: " + e.Message);
            return ExitCodes.UsageError;
        }

        // An Argus binetflow or an nfdump file holds flows only: the checks that need DNS records are left out.
        if (source is SlipsP2P.Ingest.FlowFiles.ArgusSource or SlipsP2P.Ingest.FlowFiles.NfdumpSource) pipeline.InputKinds = SlipsP2P.Detection.Detectors.RecordKinds.Flow;
        pipeline.KeepSummaries = request.NoDetection || request.PrintTuples; // only -D and -p print past windows
        pipeline.BuildSummaries = pipeline.KeepSummaries; // nothing else reads profile summaries and tuple letters
        // Threat intelligence: for non-stop input a feed refresher (its load problems were printed with the detectors').
        var ti = FeedRefresh.Of(pipeline);
        using var refresh = ti is not null && nonStop ? FeedRefresh.Start(ti.Source, options, stderr) : null;
        using var flowWriter = request.WriteFlows ? new ZeekFlowTee(outDir, pipeline) : null;
        IEventSink sink = flowWriter is not null ? flowWriter : pipeline;
        using var anonymizer = request.Anonymize ? new IpAnonymizer(sink) : null;
        if (anonymizer is not null) sink = anonymizer;

        var clock = Stopwatch.StartNew();
        bool interrupted = false;
        try
        {
            if (source is LiveCaptureSource live) LiveRun.Run(live, sink, request.Duration, stderr);
            else RunWithProgress(Overlapped(source, options), sink, request.NoProgress, stderr, signals!.Token);
        }
        catch (InputException e)
        {
            stderr.WriteLine("slips: " + e.Message);
            if (source.Stats.Records == 0 && source.Stats.Packets == 0) return ExitCodes.InputError;
            stderr.WriteLine("slips: analysing what was read before the error");
        }
        catch (OperationCanceledException) when (signals is { Signalled: true })
        {
            interrupted = true;
            stderr.WriteLine("slips: interrupted: analysing what was read so far (Ctrl-C again to end at once)");
        }
        finally
        {
            signals?.Dispose();
        }

        pipeline.Finish();
        clock.Stop();

        if (anonymizer is not null)
        {
            using var map = new StreamWriter(Path.Combine(outDir, "anonymization-map.csv")) { NewLine = "\n" };
            anonymizer.WriteMapping(map);
        }

        var stats = source.Stats;
        if (stats.Records == 0 && stats.Packets == 0 && stats.Skipped > 0)
        {
            foreach (var m in stats.Messages) stderr.WriteLine("slips: " + m);
            stderr.WriteLine($"slips: {source.Name}: nothing could be analysed ({stats.Skipped} records skipped)");
            return ExitCodes.InputError;
        }

        if (request.NoDetection) Printing.PrintProfiles(pipeline, stdout);
        if (request.PrintTuples) Printing.PrintTuples(pipeline, stdout);
        Printing.PrintSummary(source, pipeline, counter, outDir, clock.Elapsed, stdout, stderr);
        if (source is LiveCaptureSource captured) LiveRun.Report(captured, outDir, clock.Elapsed, stdout, stderr);
        return interrupted ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    /// <summary>
    /// A capture file is read on a thread of its own while detection runs on this one (parameters.ingest_thread), with
    /// the same records in the same order. Only where it helps: standard input is read on this thread (records wait for
    /// a full batch before the hand-off, and a slow stream would hold its alerts back); flow files parse in a fraction
    /// of detection's time, so the hand-off only added CPU (conn.log 2.37-2.54 s wall without, 2.61-2.62 s with); on
    /// one core it only costs (7-11% CPU).
    /// </summary>
    private static IEventSource Overlapped(IEventSource source, AnalysisOptions options) =>
        options.IngestThread && source.Name != "-" && source.Kind is "pcap" or "pcapng" && Environment.ProcessorCount > 1
            ? new OverlappedSource(source)
            : source;

    private static void RunWithProgress(IEventSource source, IEventSink sink, bool noProgress, TextWriter stderr, CancellationToken cancellationToken)
    {
        long total = source.Name != "-" && File.Exists(source.Name) ? new FileInfo(source.Name).Length : 0;
        bool interactive = !noProgress && !Console.IsErrorRedirected && !Console.IsOutputRedirected && total > 8 << 20;
        if (!interactive)
        {
            source.Run(sink, cancellationToken);
            return;
        }

        RunWithBar(source, sink, total, stderr, cancellationToken);
    }

    /// <summary>
    /// The analysis with Spectre.Console's progress bar on a terminal. A method of its own, not inlined: the
    /// runs without a bar (a file, --no-progress, output not a terminal) do not load Spectre.Console.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void RunWithBar(IEventSource source, IEventSink sink, long total, TextWriter stderr, CancellationToken cancellationToken)
    {
        // The analysis runs on this thread's sibling; the bar polls the input's counters.
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Path.GetFileName(source.Name), maxValue: total);
                var clock = Stopwatch.StartNew();
                var work = Task.Run(() => source.Run(sink, cancellationToken), CancellationToken.None);
                // Not work.Wait(200): that throws an AggregateException when the input fails, and the caller wants the InputException.
                while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(200))
                {
                    var s = source.Stats;
                    task.Value = Math.Min(total, s.Bytes);
                    double secs = Math.Max(0.001, clock.Elapsed.TotalSeconds);
                    task.Description = s.Packets > 0
                        ? $"{Path.GetFileName(source.Name)} {s.Packets / secs:N0} packets/s"
                        : $"{Path.GetFileName(source.Name)} {s.Records / secs:N0} flows/s";
                }

                task.Value = total;
                work.GetAwaiter().GetResult();
            });
    }

    private static string DefaultOutputDirectory(string input)
    {
        string name = input == "-" ? "stdin" : Path.GetFileName(Path.TrimEndingDirectorySeparator(input));
        string stamp = DateTime.Now.ToString("yyyy-MM-dd'_'HH-mm-ss", CultureInfo.InvariantCulture);
        return Path.Combine("output", $"{name}_{stamp}");
    }

    /// <summary>A relative path as given when it exists from the working directory, else relative to <see cref="Home"/>.</summary>
    public static string ResolveInHome(string path)
    {
        if (Path.IsPathRooted(path) || File.Exists(path)) return path;
        string inHome = Path.Combine(Home, path);
        return File.Exists(inHome) ? inHome : path;
    }
}

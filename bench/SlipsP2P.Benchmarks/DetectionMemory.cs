using System.Globalization;
using SlipsP2P.Core;
using SlipsP2P.Detection;
using SlipsP2P.Detection.Detectors;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Pcap;

namespace SlipsP2P.Benchmarks;

/// <summary>
/// Heap the detection state keeps, by detector: <c>-- --detection-memory PCAP [PCAP...]</c> (captures made with
/// <c>slips tools gen-pcap</c>). Each capture's records are assembled once; then a pipeline with every detector, one
/// with none, and one per detector take them all, and the live heap after a full collection (the records themselves
/// subtracted) is printed in MB. Run it on a short and a long capture of the same mix to see which state grows with
/// the input's length.
/// </summary>
internal static class DetectionMemory
{
    public static int Report(IReadOnlyList<string> paths, TextWriter output)
    {
        var options = new AnalysisOptions();
        int count = AnalysisPipeline.DefaultDetectors(options).Count;
        foreach (string path in paths)
        {
            NetEvent[] records = Load(path, options);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}: {records.Length:N0} records"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"all detectors",-26} {Retained(options, records, null):0.0} MB"));
            for (int d = -1; d < count; d++)
            {
                var detector = d < 0 ? null : AnalysisPipeline.DefaultDetectors(options)[d];
                double mb = Retained(options, records, detector is null ? [] : [detector]);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {detector?.Name ?? "(no detector)",-26} {mb:0.0} MB"));
            }
        }

        return 0;
    }

    private static double Retained(AnalysisOptions options, NetEvent[] records, IDetector[]? detectors)
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var sink = new NullAlerts();
        var pipeline = detectors is null ? new AnalysisPipeline(options, sink) : new AnalysisPipeline(options, sink, detectors);
        pipeline.KeepSummaries = false;
        pipeline.BuildSummaries = false; // as the CLI runs without -D/-p
        for (int i = 0; i < records.Length; i++) pipeline.OnEvent(records[i]);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(pipeline);
        return (after - before) / (1024.0 * 1024.0);
    }

    private static NetEvent[] Load(string path, AnalysisOptions options)
    {
        var collect = new Collect();
        var table = new FlowTable(options, collect) { ComputeFlowIds = false };
        using var reader = CaptureReader.Open(path);
        Workloads.Assemble(reader, table);
        return collect.Records.ToArray();
    }

    private sealed class Collect : IEventSink
    {
        public List<NetEvent> Records { get; } = new();

        public void OnEvent(NetEvent record) => Records.Add(record);
    }

    private sealed class NullAlerts : IAlertSink
    {
        public void OnEvidence(Evidence evidence)
        {
        }

        public void OnAlert(Alert alert)
        {
        }
    }
}

using BenchmarkDotNet.Attributes;
using SlipsP2P.Detection.Behaviour;
using SlipsP2P.Ingest.Flows;

namespace SlipsP2P.Benchmarks;

/// <summary>Capture reading, decoding and flow assembly: one operation is one pass over the generated capture.</summary>
[MemoryDiagnoser]
public class CaptureBenchmarks
{
    private Workloads _w = null!;

    [GlobalSetup]
    public void Setup() => _w = Workloads.Shared;

    [Benchmark(Description = "pcap record reading (whole capture)")]
    public int ReadPcap() => _w.ReadPcap();

    [Benchmark(Description = "packet decoding (whole capture)")]
    public int Decode() => _w.DecodeAll();

    [Benchmark(Description = "read + decode + flow table + DNS/TLS/HTTP/SSH (whole capture)")]
    public long CaptureToFlows() => _w.CaptureToFlows();
}

/// <summary>The flow table in steady state: packets of established flows, no flow created or finished.</summary>
[MemoryDiagnoser]
public class FlowTableBenchmarks
{
    private Workloads _w = null!;
    private FlowTable _table = null!;
    private double _clock;

    [GlobalSetup]
    public void Setup()
    {
        _w = Workloads.Shared;
        _table = _w.NewSteadyTable(out _clock);
    }

    [Benchmark(OperationsPerInvoke = Workloads.SteadyPackets, Description = "decode + flow update, per packet")]
    public void SteadyState() => _w.SteadyRound(_table, ref _clock, Workloads.SteadyPackets);
}

/// <summary>Application parsing and behavioural letters.</summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    private Workloads _w = null!;
    private double _t;

    [GlobalSetup]
    public void Setup() => _w = Workloads.Shared;

    [Benchmark(Description = "DNS response parse (3 answers)")]
    public int ParseDns() => _w.ParseDns();

    [Benchmark(OperationsPerInvoke = 256, Description = "letters: 256 flows into one tuple")]
    public string Letters()
    {
        var letters = new TupleLetters();
        for (int i = 0; i < 256; i++)
        {
            _t += 7.3;
            letters.Add(_t, 0.05 * (i & 3), 100L * (i & 15));
        }

        return letters.Letters;
    }
}

/// <summary>Detection only: every record of the generated capture through a fresh pipeline with every detector.</summary>
[MemoryDiagnoser]
public class DetectionBenchmarks
{
    private Workloads _w = null!;

    [GlobalSetup]
    public void Setup() => _w = Workloads.Shared;

    [Benchmark(Description = "pipeline: profiles, letters, detectors, evidence engine (whole capture)")]
    public long Detect() => _w.Detect();
}

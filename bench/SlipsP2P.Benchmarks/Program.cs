using BenchmarkDotNet.Running;
using SlipsP2P.Benchmarks;

// dotnet run -c Release --project bench/SlipsP2P.Benchmarks -- --check-budget [bench/allocation-budget.json]
//   allocation budget check (exit 1 when exceeded) with a quick throughput line per workload;
// anything else goes to BenchmarkDotNet, e.g. -- --filter '*' or -- --filter '*FlowTable*'.
if (args.Length > 0 && args[0] == "--check-budget")
{
    string path = args.Length > 1 ? args[1] : Path.Combine(AppContext.BaseDirectory, "allocation-budget.json");
    return BudgetCheck.Run(path, Console.Out);
}

if (args.Length > 0 && args[0] == "--flow-files")
{
    // Flow-file parsing only: -- --flow-files [conn-tsv-parse|conn-json-parse|binetflow-parse|eve-flow-parse] [ROUNDS]
    string? only = args.Length > 1 && args[1] != "all" ? args[1] : null;
    int rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20;
    return FlowFileWorkloads.Report(only, rounds, Console.Out);
}

if (args.Length > 0 && args[0] == "--detection-cpu")
{
    // Detection only, in thread CPU time and bytes per flow (meaningful on a loaded machine): -- --detection-cpu [ROUNDS] [breakdown|floor]
    int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
    // "floor": the same pipeline with no detector (whitelist, windows, profiles, dispatch).
    int code = DetectionWorkloads.Report(rounds, Console.Out, noDetectors: args.Length > 2 && args[2] == "floor");
    return code != 0 || args.Length < 3 || args[2] != "breakdown" ? code : DetectionWorkloads.Breakdown(rounds, Console.Out);
}

if (args.Length > 0 && args[0] == "--detection-breakdown")
{
    // Per detector ns of CPU per flow inside the whole pipeline: -- --detection-breakdown [ROUNDS]
    return DetectionWorkloads.Breakdown(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10, Console.Out);
}

if (args.Length > 1 && args[0] == "--detection-memory")
{
    // Live heap of the detection state per detector after whole captures: -- --detection-memory PCAP [PCAP...]
    return DetectionMemory.Report(args[1..], Console.Out);
}

if (args.Length > 1 && args[0] == "--loop")
{
    // For a profiler (dotnet-trace collect -- ... --loop detection 20): one workload over and over.
    var w = Workloads.Shared;
    Func<long> op = args[1] switch
    {
        "capture-to-flows" => w.CaptureToFlows,
        "detection" => w.Detect,
        "decode" => () => w.DecodeAll(),
        _ => () => w.ReadPcap(),
    };
    double seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10;
    var clock = System.Diagnostics.Stopwatch.StartNew();
    long runs = 0;
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        op();
        runs++;
    }

    Console.WriteLine($"{args[1]}: {runs} runs in {clock.Elapsed.TotalSeconds:0.0} s");
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Workloads).Assembly).Run(args);
return 0;

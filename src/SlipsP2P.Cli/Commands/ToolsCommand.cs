using System.CommandLine;
using System.Globalization;
using SlipsP2P.Ingest.Synthetic;

namespace SlipsP2P.Cli.Commands;

/// <summary><c>slips tools ...</c>: helpers for benchmarks and tests.</summary>
internal static class ToolsCommand
{
    public static Command Build()
    {
        var tools = new Command("tools", "Helpers for benchmarks and tests.");
        var gen = new Command("gen-pcap", "Write a deterministic, realistic capture (TCP sessions with data both ways, DNS with answers, " +
                                          "ICMP echo, one vertical and one horizontal scan) for benchmarks.");
        var output = new Option<string>("--output", "-o") { Description = "The pcap file to write.", Required = true, HelpName = "FILE" };
        var seed = new Option<int>("--seed") { Description = "Seed; the same seed gives the same file.", DefaultValueFactory = _ => 1 };
        var packets = new Option<long>("--packets") { Description = "About how many packets (before the scans).", DefaultValueFactory = _ => 2_000_000 };
        var rate = new Option<double>("--flows-per-second") { Description = "New flows per second of traffic time.", DefaultValueFactory = _ => 200 };
        var scanPorts = new Option<int>("--scan-ports") { Description = "Ports probed by the vertical scanner.", DefaultValueFactory = _ => 1000 };
        var scanHosts = new Option<int>("--scan-hosts") { Description = "Hosts probed by the horizontal scanner.", DefaultValueFactory = _ => 1000 };
        foreach (var o in new Option[] { output, seed, packets, rate, scanPorts, scanHosts }) gen.Options.Add(o);
        gen.SetAction(parse =>
        {
            long n = parse.GetValue(packets);
            double r = parse.GetValue(rate);
            if (n <= 0 || !(r > 0) || parse.GetValue(scanPorts) is < 0 or > 65535 || parse.GetValue(scanHosts) is < 0 or > 65000)
            {
                Console.Error.WriteLine("slips tools gen-pcap: --packets and --flows-per-second must be positive, --scan-ports 0..65535, --scan-hosts 0..65000");
                return ExitCodes.UsageError;
            }

            string path = parse.GetValue(output)!;
            try
            {
                var summary = TrafficGenerator.Generate(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20), new TrafficGeneratorOptions
                {
                    Seed = parse.GetValue(seed),
                    TargetPackets = n,
                    FlowsPerSecond = r,
                    VerticalScanPorts = parse.GetValue(scanPorts),
                    HorizontalScanHosts = parse.GetValue(scanHosts),
                });
                Console.Out.WriteLine(string.Format(CultureInfo.InvariantCulture,
                    "{{\"file\":\"{0}\",\"packets\":{1},\"flows\":{2},\"duration\":{3:0.###},\"vertical_scanner\":\"{4}\",\"vertical_victim\":\"{5}\",\"horizontal_scanner\":\"{6}\",\"horizontal_port\":{7}}}",
                    path, summary.Packets, summary.Flows, summary.LastTimestamp - summary.FirstTimestamp,
                    summary.VerticalScanner, summary.VerticalVictim, summary.HorizontalScanner, summary.HorizontalPort));
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"slips tools gen-pcap: {path}: {e.Message}");
                return ExitCodes.InputError;
            }
        });
        tools.Subcommands.Add(gen);
        return tools;
    }
}

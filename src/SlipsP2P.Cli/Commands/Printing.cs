using System.Globalization;
using SlipsP2P.Core;
using SlipsP2P.Detection;
using SlipsP2P.Output.Alerts;

namespace SlipsP2P.Cli.Commands;

/// <summary>What the analysis prints on the console.</summary>
internal static class Printing
{
    public static void PrintSummary(IEventSource source, AnalysisPipeline pipeline, AlertCounter counter, string outDir,
                                    TimeSpan elapsed, TextWriter stdout, TextWriter stderr)
    {
        var s = source.Stats;
        double secs = Math.Max(elapsed.TotalSeconds, 1e-6);
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine($"Input: {source.Name} ({source.Kind})");
        if (s.Packets > 0) stdout.WriteLine(string.Format(inv, "Read {0:N0} packets into {1:N0} flows in {2:0.00} s ({3:N0} packets/s)", s.Packets, s.Flows, secs, s.Packets / secs));
        else stdout.WriteLine(string.Format(inv, "Read {0:N0} records in {1:0.00} s ({2:N0} records/s)", s.Records, secs, s.Records / secs));
        if (s.Skipped > 0)
        {
            stderr.WriteLine(string.Format(inv, "slips: {0:N0} bad records skipped in {1}; the first ones:", s.Skipped, source.Name));
            foreach (var m in s.Messages) stderr.WriteLine("  " + m);
        }

        var p = pipeline.Stats;
        stdout.WriteLine(string.Format(inv, "Profiles: {0:N0}. Evidence: {1:N0}. Alerts: {2:N0}.", p.Profiles, counter.Evidence, counter.Alerts));
        if (p.Dropped > 0) stdout.WriteLine(string.Format(inv, "State caps: {0:N0} keys, values or records not tracked (memory bounds).", p.Dropped));
        foreach (var (attacker, types) in counter.TypesByAttacker.OrderBy(k => k.Key))
        {
            string alerted = counter.AlertsByProfile.TryGetValue(attacker, out var n) ? string.Format(inv, " ({0} alert{1})", n, n == 1 ? "" : "s") : "";
            stdout.WriteLine($"  {attacker}: {string.Join(", ", types)}{alerted}");
        }

        stdout.WriteLine($"Output: {outDir}");
    }

    public static void PrintProfiles(AnalysisPipeline pipeline, TextWriter stdout)
    {
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine("profile\ttimewindow\tstart\tflows\tbytes\tdst_ips\tdst_ports\tinbound_flows\tsrc_ips");
        foreach (var p in pipeline.Profiles.OrderBy(p => p.Profile).ThenBy(p => p.TimeWindow))
        {
            stdout.WriteLine(string.Create(inv, $"{p.Profile}\t{p.TimeWindow}\t{Timestamps.Iso(p.WindowStart)}\t{p.Flows}\t{p.Bytes}\t{p.DistinctDestinationIps}\t{p.DistinctDestinationPorts}\t{p.InboundFlows}\t{p.DistinctSourceIps}"));
        }
    }

    public static void PrintTuples(AnalysisPipeline pipeline, TextWriter stdout)
    {
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine("profile\ttimewindow\tdirection\ttuple\tflows\tletters");
        foreach (var t in pipeline.Tuples.OrderBy(t => t.Profile).ThenBy(t => t.TimeWindow).ThenBy(t => t.Address).ThenBy(t => t.Port))
        {
            string dir = t.Direction == TupleDirection.Out ? "out" : "in";
            stdout.WriteLine(string.Create(inv, $"{t.Profile}\t{t.TimeWindow}\t{dir}\t{t.TupleId}\t{t.Flows}\t{t.Letters}{(t.Truncated ? "..." : "")}"));
        }
    }
}

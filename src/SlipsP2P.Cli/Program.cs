using SlipsP2P.Cli.Commands;

namespace SlipsP2P.Cli;

/// <summary>The <c>slips</c> command: parses the command line and hands over to a command. No business logic here.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = AnalyzeCommand.Build();
        root.Subcommands.Add(ToolsCommand.Build());
        root.Subcommands.Add(TiCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(EvalCommand.Build());
        root.Subcommands.Add(P2pCommand.Build());
        root.Subcommands.Add(ModelsCommand.Build());
        root.Subcommands.Add(MlCommand.Build());
        root.Description = "SlipsP2P: behavioural intrusion detection on captures and flow files (pcap, pcapng, Zeek, Argus, Suricata, nfdump), " +
                           "with Slips' inputs, flags and outputs.";
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                // A bad command line is a usage error (exit 2), with every problem named.
                foreach (var error in parse.Errors) Console.Error.WriteLine("slips: " + error.Message);
                Console.Error.WriteLine("slips: see slips --help");
                return ExitCodes.UsageError;
            }

            return parse.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Last line of defence: a message, never a stack trace.
            Console.Error.WriteLine($"slips: internal error: {e.GetType().Name}: {e.Message}");
            return 70;
        }
    }
}

// The fuzzing entry point. Usage (see README.md):
//   SlipsP2P.Fuzz list                          the targets
//   SlipsP2P.Fuzz <target>                      libFuzzer (libfuzzer-dotnet sets __LIBFUZZER_SHM_ID) or AFL (afl-fuzz sets
//                                               __AFL_SHM_ID) when run under one; otherwise runs stdin once (reproduce a crash)
//   SlipsP2P.Fuzz <target> <file>...            runs each file once and says which failed
//   SlipsP2P.Fuzz write-corpus <dir> [input]... writes the seed corpus (encoders plus payloads/lines from inputs)
using SharpFuzz;
using SlipsP2P.Fuzz;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: SlipsP2P.Fuzz list | <target> [file...] | write-corpus <dir> [capture|flow file]...");
    return 2;
}

if (args[0] == "list")
{
    foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name,-16} {t.Description}");
    return 0;
}

if (args[0] == "write-corpus")
{
    if (args.Length < 2)
    {
        Console.Error.WriteLine("write-corpus: name the corpus directory");
        return 2;
    }

    Seeds.WriteCorpus(args[1], args[2..], Console.Out);
    return 0;
}

var target = FuzzTargets.Find(args[0]);
if (target is null)
{
    Console.Error.WriteLine($"unknown target '{args[0]}'; 'list' names them");
    return 2;
}

if (Environment.GetEnvironmentVariable("__LIBFUZZER_SHM_ID") is not null)
{
    Fuzzer.LibFuzzer.Run(span => target.Run(span));
    return 0;
}

if (Environment.GetEnvironmentVariable("__AFL_SHM_ID") is not null)
{
    // AFL in persistent mode: SharpFuzz hands each input as a stream.
    Fuzzer.Run(stream =>
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        target.Run(ms.GetBuffer().AsSpan(0, (int)ms.Length));
    });
    return 0;
}

if (args.Length == 1)
{
    using var stdin = Console.OpenStandardInput();
    using var ms = new MemoryStream();
    stdin.CopyTo(ms);
    target.Run(ms.ToArray());
    return 0;
}

int failed = 0;
foreach (string file in args[1..])
{
    try
    {
        target.Run(File.ReadAllBytes(file));
    }
#pragma warning disable CA1031 // Reproduction mode: report every finding and go on with the next file.
    catch (Exception ex)
#pragma warning restore CA1031
    {
        failed++;
        Console.Error.WriteLine($"{file}: {ex.GetType().Name}: {ex.Message}");
        Console.Error.WriteLine(ex.StackTrace);
    }
}

return failed == 0 ? 0 : 1;

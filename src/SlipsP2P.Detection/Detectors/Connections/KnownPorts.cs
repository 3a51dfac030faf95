using System.Globalization;

namespace SlipsP2P.Detection.Detectors.Connections;

/// <summary>
/// The list of known service ports (config/ports.csv: <c>port,protocol,name</c> per line, # comments), made by
/// config/make-ports.sh from Slips' services.csv. Lookups are one bit test.
/// </summary>
public sealed class KnownPorts
{
    /// <summary>Largest file read, in bytes.</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    private readonly System.Collections.BitArray _tcp = new(65536);
    private readonly System.Collections.BitArray _udp = new(65536);

    /// <summary>Ports known for TCP and UDP.</summary>
    public int Count { get; private set; }

    /// <summary>Lines that could not be read (file and line named).</summary>
    public List<string> Warnings { get; } = new();

    /// <summary>True when <paramref name="port"/> is a known service port of <paramref name="protocol"/>.</summary>
    public bool IsKnown(Protocol protocol, ushort port) => protocol switch
    {
        Protocol.Tcp => _tcp[port],
        Protocol.Udp => _udp[port],
        _ => true,
    };

    /// <summary>Marks a port as known.</summary>
    public void Add(Protocol protocol, ushort port)
    {
        if (protocol == Protocol.Tcp) _tcp[port] = true;
        else if (protocol == Protocol.Udp) _udp[port] = true;
        else return;
        Count++;
    }

    /// <summary>Reads a ports file; throws <see cref="InvalidDataException"/> naming the file when it cannot be read at all.</summary>
    public static KnownPorts Load(string path)
    {
        var ports = new KnownPorts();
        var info = new FileInfo(path);
        if (!info.Exists) throw new InvalidDataException($"{path}: ports file not found");
        if (info.Length > MaxFileBytes) throw new InvalidDataException($"{path}: ports file larger than {MaxFileBytes} bytes");
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.AsSpan().Trim();
            if (line.IsEmpty || line[0] == '#') continue;
            int c1 = line.IndexOf(',');
            if (c1 <= 0)
            {
                ports.Warn($"{path}:{lineNo}: expected port,protocol,name");
                continue;
            }

            var rest = line[(c1 + 1)..];
            int c2 = rest.IndexOf(',');
            var protoText = (c2 < 0 ? rest : rest[..c2]).Trim();
            if (!ushort.TryParse(line[..c1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                // Ranges "6000-6063" are allowed.
                var portText = line[..c1].Trim();
                int dash = portText.IndexOf('-');
                if (dash > 0 && ushort.TryParse(portText[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var lo)
                    && ushort.TryParse(portText[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var hi) && lo <= hi)
                {
                    var protocol = ProtocolNames.Parse(protoText);
                    for (int p = lo; p <= hi; p++) ports.Add(protocol, (ushort)p);
                    continue;
                }

                ports.Warn($"{path}:{lineNo}: '{portText.ToString()}' is not a port");
                continue;
            }

            ports.Add(ProtocolNames.Parse(protoText), port);
        }

        return ports;
    }

    private void Warn(string message)
    {
        if (Warnings.Count < 20) Warnings.Add(message);
    }
}

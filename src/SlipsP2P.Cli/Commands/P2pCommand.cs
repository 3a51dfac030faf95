using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SlipsP2P.Libp2p.Multiformats;
using SlipsP2P.Libp2p.Node;

namespace SlipsP2P.Cli.Commands;

/// <summary>
/// <c>slips p2p</c>: runs a libp2p node (gossipsub, DHT, optional mDNS), prints one JSON object per event on stdout
/// and publishes each stdin line on the first topic. EOF on stdin, SIGINT or SIGTERM stop it cleanly.
/// </summary>
internal static class P2pCommand
{
    private static readonly Lock s_out = new();

    // Plain quotes and non-ASCII in messages: this is a terminal and pipe format, never embedded in HTML.
    private static readonly JsonWriterOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Build()
    {
        var command = new Command("p2p", "Run a peer-to-peer node: print its events as JSON lines, publish stdin lines on the first topic.");
        var listen = new Option<string[]>("--listen") { Description = "Listen multiaddr (repeatable). Default /ip4/127.0.0.1/tcp/0.", HelpName = "MULTIADDR", AllowMultipleArgumentsPerToken = false };
        var dial = new Option<string[]>("--dial") { Description = "Peer multiaddr to dial at start (repeatable).", HelpName = "MULTIADDR" };
        var key = new Option<string?>("--key") { Description = "Identity key file (libp2p PrivateKey protobuf); created with mode 0600 if missing.", HelpName = "FILE" };
        var topic = new Option<string[]>("--topic") { Description = "Topic to join (repeatable); stdin lines are published on the first.", HelpName = "T" };
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Folder of bootstrap files (*.txt, one /p2p multiaddr per line) or one file.", HelpName = "DIR" };
        var mdns = new Option<bool>("--mdns") { Description = "Discover peers on the local link with mDNS (224.0.0.251:5353)." };
        var mdnsInterval = new Option<double>("--mdns-interval") { Description = "Seconds between mDNS queries.", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
        var peerstore = new Option<string?>("--peerstore") { Description = "JSON peer store: its peers are dialed at start, it is saved at stop.", HelpName = "FILE" };
        var dhtProtocol = new Option<string>("--dht-protocol") { Description = "Kademlia protocol id.", DefaultValueFactory = _ => "/slips/kad/1.0.0", HelpName = "ID" };
        foreach (var o in new Option[] { listen, dial, key, topic, bootstrap, mdns, mdnsInterval, peerstore, dhtProtocol }) command.Options.Add(o);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new Libp2pNodeOptions
            {
                KeyFile = parse.GetValue(key),
                BootstrapPath = parse.GetValue(bootstrap),
                PeerStorePath = parse.GetValue(peerstore),
                EnableMdns = parse.GetValue(mdns),
            };
            options.Dht.ProtocolId = parse.GetValue(dhtProtocol) ?? "/slips/kad/1.0.0";
            double interval = parse.GetValue(mdnsInterval);
            if (!(interval > 0) || interval > 86400) return Usage("--mdns-interval must be between 0 and 86400 seconds");
            options.Mdns.QueryInterval = TimeSpan.FromSeconds(interval);
            if (!options.Dht.ProtocolId.StartsWith('/')) return Usage($"--dht-protocol '{options.Dht.ProtocolId}' must start with '/'");
            foreach (var (name, values, target) in new[] { ("--listen", parse.GetValue(listen), options.ListenAddresses), ("--dial", parse.GetValue(dial), options.DialAddresses) })
            {
                foreach (var text in values ?? [])
                {
                    if (!Multiaddr.TryParse(text, out var ma, out string? error) || ma is null) return Usage($"{name} '{text}' is not a multiaddr: {error}");
                    if (!ma.TryGetTcpTarget(out _, out _, out _)) return Usage($"{name} '{text}': only /ip4|ip6|dns*/<host>/tcp/<port>[/p2p/<id>] is supported");
                    target.Add(ma);
                }
            }

            foreach (var t in parse.GetValue(topic) ?? [])
            {
                if (string.IsNullOrWhiteSpace(t)) return Usage("--topic must not be empty");
                options.Topics.Add(t);
            }

            return await RunAsync(options, cancellationToken);
        });
        return command;
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine("slips p2p: " + message);
        return ExitCodes.UsageError;
    }

    private static async Task<int> RunAsync(Libp2pNodeOptions options, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        Libp2pNode node;
        try
        {
            node = new Libp2pNode(options);
        }
        catch (KeyFileException e)
        {
            return Fatal(e.Message);
        }

        node.Listening += addrs => Emit(w =>
        {
            w.WriteString("event", "listening");
            w.WriteString("peerId", node.PeerId.ToString());
            w.WriteStartArray("addrs");
            foreach (var a in addrs) w.WriteStringValue(a.ToString());
            w.WriteEndArray();
        });
        node.PeerConnected += p => Emit(w =>
        {
            w.WriteString("event", "connected");
            w.WriteString("peerId", p.ToString());
        });
        node.PeerDisconnected += p => Emit(w =>
        {
            w.WriteString("event", "disconnected");
            w.WriteString("peerId", p.ToString());
        });
        node.PeerSubscriptionChanged += (p, t, subscribed) => Emit(w =>
        {
            w.WriteString("event", subscribed ? "subscribed" : "unsubscribed");
            w.WriteString("peerId", p.ToString());
            w.WriteString("topic", t);
        });
        node.MessageReceived += m => Emit(w =>
        {
            w.WriteString("event", "message");
            w.WriteString("topic", m.Topic);
            w.WriteString("from", m.Author.ToString());
            w.WriteString("receivedFrom", m.ReceivedFrom.ToString());
            w.WriteBase64String("data", m.Data.Span);
        });
        node.PeerDiscovered += (p, source) => Emit(w =>
        {
            w.WriteString("event", "discovered");
            w.WriteString("peerId", p.ToString());
            w.WriteString("source", source);
        });
        node.Error += message => EmitError(message);

        await using (node)
        {
            try
            {
                await node.StartAsync(stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                await node.StopAsync();
                return e is OperationCanceledException ? ExitCodes.Ok : Fatal(e.Message);
            }

            try
            {
                await PublishStdinAsync(node, options.Topics.Count > 0 ? options.Topics[0] : null, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // SIGINT / SIGTERM
            }

            await node.StopAsync();
            Emit(w => w.WriteString("event", "stopped"));
        }

        return ExitCodes.Ok;
    }

    private static async Task PublishStdinAsync(Libp2pNode node, string? topic, CancellationToken cancellationToken)
    {
        var stdin = Console.In;
        while (true)
        {
            // Console.In reads block their thread whatever the token says: read on the pool and stop waiting on a signal.
            string? line = await Task.Run(stdin.ReadLine, CancellationToken.None).WaitAsync(cancellationToken);
            if (line is null) return;
            if (topic is null)
            {
                EmitError("nothing to publish to: give --topic");
                continue;
            }

            try
            {
                var result = await node.PublishAsync(topic, Encoding.UTF8.GetBytes(line), cancellationToken);
                Emit(w =>
                {
                    w.WriteString("event", "published");
                    w.WriteString("topic", topic);
                    w.WriteNumber("peers", result.Peers);
                });
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private static int Fatal(string message)
    {
        EmitError(message);
        Console.Error.WriteLine("slips p2p: " + message);
        return ExitCodes.InputError;
    }

    private static void EmitError(string message) => Emit(w =>
    {
        w.WriteString("event", "error");
        w.WriteString("message", message);
    });

    private static void Emit(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, s_json))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        string line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        lock (s_out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}

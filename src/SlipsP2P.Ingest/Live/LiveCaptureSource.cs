using SlipsP2P.Core;
using SlipsP2P.Ingest.Flows;
using SlipsP2P.Ingest.Packets;
using SlipsP2P.Ingest.Pcap;

namespace SlipsP2P.Ingest.Live;

/// <summary>
/// A live interface as an <see cref="IEventSource"/> (<c>slips -i IFACE</c>): a <see cref="LiveCapture"/> thread
/// fills packet batches, and <see cref="Run"/> decodes them on the calling thread into the same flow table and
/// records as a capture file, until it is cancelled. Packets carry the kernel's timestamps; when traffic is quiet the
/// flow table's clock is moved by the injected <see cref="TimeProvider"/> (the wall clock), so idle flows still time
/// out and reach the detectors.
/// </summary>
/// <remarks>
/// Stats: <see cref="IngestStats.Packets"/> packets analysed, <see cref="IngestStats.Bytes"/> bytes captured,
/// <see cref="IngestStats.Flows"/> and <see cref="IngestStats.Records"/> as for a capture file; the drop counters are
/// in <see cref="Counters"/>. Cancelling the token is the normal end: the capture stops, the queue is drained, every
/// open flow is flushed, and <see cref="Run"/> returns.
/// </remarks>
public sealed class LiveCaptureSource : IEventSource
{
    /// <summary>How often the flow table's clock follows the wall clock while no packet arrives.</summary>
    public static readonly TimeSpan IdleTick = TimeSpan.FromSeconds(1);

    private readonly AnalysisOptions _options;
    private readonly TimeProvider _time;
    private readonly LiveCapture _capture;
    private long _analysed;

    /// <summary>
    /// Opens <see cref="CaptureOptions.Interface"/> of <paramref name="options"/>; throws <see cref="InputException"/>
    /// with a one-line reason when it cannot be captured.
    /// </summary>
    public LiveCaptureSource(AnalysisOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _capture = LiveCapture.Open(options.Capture);
        Name = _capture.Interface;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Kind => "live";

    /// <summary>Always true: this input is a running node's live traffic.</summary>
    public static bool IsLive => true;

    /// <inheritdoc />
    public IngestStats Stats { get; } = new();

    /// <summary>The BPF filter in force ("" for none).</summary>
    public string Filter => _capture.Filter;

    /// <summary>Whether flow records carry their Community ID and AID (see <see cref="FlowTable.ComputeFlowIds"/>).</summary>
    public bool ComputeFlowIds { get; set; } = true;

    /// <summary>Whether DNS records carry their answers' TTLs (on by default; see <see cref="FlowTable.KeepDnsTtls"/>).</summary>
    public bool KeepDnsTtls { get; set; } = true;

    /// <summary>
    /// Called on the analysis thread every <see cref="CaptureOptions.StatsInterval"/> seconds (of the injected clock)
    /// with the counters, for a progress line.
    /// </summary>
    public Action<CaptureCounters>? Progress { get; set; }

    /// <summary>The capture's counters now (safe from any thread).</summary>
    public CaptureCounters Counters => _capture.Counters(Interlocked.Read(ref _analysed));

    /// <summary>Why the capture ended by itself, or null when it was stopped.</summary>
    public string? Failure => _capture.Failure;

    /// <inheritdoc />
    public void Run(IEventSink sink, CancellationToken cancellationToken) =>
        RunAsync(sink, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Analyses until <paramref name="cancellationToken"/> is cancelled or the capture fails; see the remarks on the type.</summary>
    public async Task RunAsync(IEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var counting = new CountingSink(sink, Stats);
        var table = new FlowTable(_options, counting, inspectApplications: true) { ComputeFlowIds = ComputeFlowIds, KeepDnsTtls = KeepDnsTtls };
        var reader = _capture.Queue.Reader;
        var statsEvery = TimeSpan.FromSeconds(_options.Capture.StatsInterval);
        long nextProgress = _time.GetTimestamp() + (long)(statsEvery.TotalSeconds * _time.TimestampFrequency);
        Task<bool>? pending = null;
        Task? tick = null;
        bool stopping = false;
        _capture.Start();
        try
        {
            while (true)
            {
                while (reader.TryRead(out var batch))
                {
                    try
                    {
                        Analyse(batch, table, counting);
                    }
                    finally
                    {
                        _capture.Queue.Return(batch);
                    }
                }

                if (_time.GetTimestamp() >= nextProgress)
                {
                    nextProgress = _time.GetTimestamp() + (long)(statsEvery.TotalSeconds * _time.TimestampFrequency);
                    Stats.Flows = table.FlowsEmitted;
                    Stats.Bytes = _capture.CapturedBytes;
                    Progress?.Invoke(Counters);
                }

                if (!stopping && cancellationToken.IsCancellationRequested)
                {
                    stopping = true;
                    _capture.Stop(); // the capture thread hands over its last batch, then completes the queue
                }

                if (reader.Completion.IsCompleted) break;
                pending ??= reader.WaitToReadAsync(CancellationToken.None).AsTask();
                if (!pending.IsCompleted)
                {
                    // One tick timer at a time, kept while batches win the race, so a busy link does not pile up timers.
                    tick ??= Task.Delay(IdleTick, _time, stopping ? CancellationToken.None : cancellationToken);
                    if (await Task.WhenAny(pending, tick) == tick)
                    {
                        // The queue is empty: the wall clock finishes the flows whose time is up, as new packets would.
                        tick = null;
                        table.Advance(_time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
                        continue;
                    }
                }

                pending = null;
            }

            table.Flush();
        }
        finally
        {
            _capture.Stop();
            Stats.Flows = table.FlowsEmitted;
            Stats.Bytes = _capture.CapturedBytes;
        }

        if (_capture.Failure is { } failure) throw new InputException(failure);
    }

    private void Analyse(PacketBatch batch, FlowTable table, CountingSink counting)
    {
        var packet = default(DecodedPacket);
        int linkType = batch.LinkType;
        for (int i = 0; i < batch.Count; i++)
        {
            long number = ++Stats.Packets;
            double ts = batch.Timestamp(i);
            ReadOnlySpan<byte> data = batch.Data(i);
            switch (PacketDecoder.Decode(linkType, data, ref packet))
            {
                case DecodeStatus.Ip:
                    table.Process(ref packet, ts, number);
                    break;
                case DecodeStatus.Arp:
                    table.Advance(ts);
                    counting.OnEvent(PcapSource.ArpRecordOf(ref packet, ts, number));
                    break;
                case DecodeStatus.Truncated:
                    table.Advance(ts);
                    Stats.Skip($"{Name}: packet {number}: truncated headers ({data.Length} of {batch.WireLength(i)} bytes captured)");
                    break;
                case DecodeStatus.Malformed:
                    table.Advance(ts);
                    Stats.Skip($"{Name}: packet {number}: malformed headers");
                    break;
                default:
                    table.Advance(ts);
                    break;
            }
        }

        Interlocked.Add(ref _analysed, batch.Count);
    }

    public void Dispose() => _capture.Dispose();

    private sealed class CountingSink(IEventSink inner, IngestStats stats) : IEventSink
    {
        public void OnEvent(NetEvent record)
        {
            stats.Records++;
            inner.OnEvent(record);
        }

        public void Prefetch(NetEvent record) => inner.Prefetch(record);

        public bool KeepsRecords => inner.KeepsRecords;
    }
}

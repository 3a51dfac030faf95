using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;
using SlipsP2P.Core;

namespace SlipsP2P.Ingest.Live;

/// <summary>
/// Captures one interface with libpcap (through SharpPcap) on a thread of its own, copying packets into pooled
/// <see cref="PacketBatch"/>es that it hands to the analysis through a <see cref="PacketBatchChannel"/>. The ring is
/// read in non-blocking mode; when the queue is full the thread stops reading for at most a second (the kernel ring
/// holds the traffic meanwhile), then drops the batch and counts it, so libpcap is never blocked for long.
/// </summary>
/// <remarks>
/// libpcap runs TPACKET_V3 here (not immediate mode): the kernel fills variable-size frames into blocks and hands a
/// block over when it is full or after <see cref="BlockTimeoutMilliseconds"/>, so a 64 MB ring holds hundreds of
/// thousands of small packets and the capture thread wakes once per block, not once per packet.
/// </remarks>
public sealed class LiveCapture : IDisposable
{
    /// <summary>Packets per batch.</summary>
    public const int BatchPackets = 1024;

    /// <summary>How long the kernel holds a partly filled block before handing it over (pcap_set_timeout).</summary>
    public const int BlockTimeoutMilliseconds = 100;

    /// <summary>How long the idle capture thread waits for packets before it looks at the stop flag again.</summary>
    private const int IdleWaitMilliseconds = 200;

    /// <summary>
    /// How long the capture thread waits for room when the queue to the analysis is full, before it drops a batch:
    /// meanwhile packets wait in the kernel ring (64 MB holds 130k packets of 480 bytes, 0.4 s at 300k packets/s,
    /// several seconds at the rates a loaded machine reaches). At 250 ms a replay at load 42 still lost 0.05 % here
    /// with no kernel drop, so the ring, not the queue, should be the one to overflow first.
    /// </summary>
    private static readonly TimeSpan s_queueFullWait = TimeSpan.FromSeconds(1);

    /// <summary>libpcap's counters are read at most this often (pcap_stats is a system call).</summary>
    private const long StatsPeriodMilliseconds = 1000;

    private readonly CaptureDevice _device;
    private readonly Lock _statsGate = new();
    private Thread? _thread;
    private volatile bool _stop;
    private long _captured;
    private long _capturedBytes;
    private uint _lastRecv, _lastDrop, _lastIfDrop;
    private long _received, _kernelDropped, _interfaceDropped;
    private long _nextStats;
    private string? _failure;

    private LiveCapture(CaptureDevice device, string name, string filter, int linkType, PacketBatchChannel queue)
    {
        _device = device;
        Interface = name;
        Filter = filter;
        LinkType = linkType;
        Queue = queue;
    }

    /// <summary>The interface captured.</summary>
    public string Interface { get; }

    /// <summary>The BPF filter in force ("" for none).</summary>
    public string Filter { get; }

    /// <summary>The interface's link type (DLT).</summary>
    public int LinkType { get; }

    /// <summary>Where the captured batches go.</summary>
    public PacketBatchChannel Queue { get; }

    /// <summary>Packets read from libpcap so far.</summary>
    public long Captured => Interlocked.Read(ref _captured);

    /// <summary>Bytes of those packets (as captured, up to the snapshot length).</summary>
    public long CapturedBytes => Interlocked.Read(ref _capturedBytes);

    /// <summary>Why the capture stopped by itself (the interface went away ...), or null.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>
    /// Opens <see cref="CaptureOptions.Interface"/> with the snapshot length, ring size and filter of
    /// <paramref name="options"/>. Throws <see cref="InputException"/> with a one-line reason when libpcap is
    /// missing, the interface does not exist, permission is lacking or the filter does not compile.
    /// </summary>
    public static LiveCapture Open(CaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0) throw new InputException("live capture: " + string.Join("; ", problems));
        string name = options.Interface ?? throw new InputException("live capture: no interface given (-i)");

        PcapInterface found = FindInterface(name);
        var device = new CaptureDevice(found);
        var config = new DeviceConfiguration
        {
            Mode = DeviceModes.Promiscuous,
            Snaplen = options.Snaplen,
            ReadTimeout = BlockTimeoutMilliseconds,
            BufferSize = options.BufferMegabytes << 20,
        };
        try
        {
            device.Open(config);
            device.NonBlockingMode = true;
            if (options.Filter.Length > 0) SetFilter(device, name, options.Filter);
            int linkType = (int)device.LinkType;
            if (!Packets.LinkType.IsSupported(linkType))
            {
                throw new InputException($"{name}: link type {linkType} is not supported (Ethernet, Linux cooked, raw IP, loopback are)");
            }

            var queue = new PacketBatchChannel(options.QueueBatches, BatchPackets, Math.Max(256 * 1024, 2 * options.Snaplen));
            return new LiveCapture(device, name, options.Filter, linkType, queue);
        }
        catch (PcapException e)
        {
            device.Close();
            throw new InputException(DescribeOpenError(name, e), e);
        }
        catch
        {
            device.Close();
            throw;
        }
    }

    /// <summary>Starts the capture thread.</summary>
    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("the capture has started already");
        _nextStats = Environment.TickCount64;
        _thread = new Thread(CaptureLoop) { IsBackground = true, Name = "slips-capture-" + Interface, Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Asks the capture thread to stop; it hands over its last batch and completes the queue within a fraction of a second.</summary>
    public void Stop() => _stop = true;

    /// <summary>The counters now; <paramref name="analysed"/> is what the analysis thread processed.</summary>
    public CaptureCounters Counters(long analysed)
    {
        lock (_statsGate)
        {
            return new CaptureCounters(_received, _kernelDropped, _interfaceDropped, Captured, Queue.DroppedPackets, analysed);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join();
        _device.Close();
    }

    private void CaptureLoop()
    {
        var batch = Queue.Rent();
        batch.LinkType = LinkType;
        IntPtr header = IntPtr.Zero, data = IntPtr.Zero;
        try
        {
            while (!_stop)
            {
                int r = _device.GetNextPacketPointers(ref header, ref data);
                if (r == 1)
                {
                    Take(ref batch, header, data);
                    continue;
                }

                if (r == 0)
                {
                    // The ring is empty: what was read goes to the analysis now rather than waiting for a full batch.
                    Hand(ref batch);
                    RefreshStats(force: false);
                    _device.WaitForPackets(IdleWaitMilliseconds);
                    continue;
                }

                // -2 is pcap_breakloop; anything else is an error such as the interface going down.
                if (r != -2) Volatile.Write(ref _failure, $"{Interface}: capture failed: {_device.LastError}");
                break;
            }

            if (Failure is null) Drain(ref batch, header, data);
            Hand(ref batch);
        }
        catch (Exception e) when (e is PcapException or ObjectDisposedException or InvalidOperationException)
        {
            Volatile.Write(ref _failure, $"{Interface}: capture failed: {e.Message}");
        }
        finally
        {
            RefreshStats(force: true);
            Queue.Complete();
        }
    }

    /// <summary>
    /// On stop: the kernel hands over a partly filled block only after the block timeout, so wait that long once and
    /// read what is left, so that packets which reached the ring before the stop are analysed, not lost.
    /// </summary>
    private void Drain(ref PacketBatch batch, IntPtr header, IntPtr data)
    {
        _device.WaitForPackets(2 * BlockTimeoutMilliseconds);
        while (_device.GetNextPacketPointers(ref header, ref data) == 1) Take(ref batch, header, data);
    }

    private void Take(ref PacketBatch batch, IntPtr header, IntPtr data)
    {
        // struct pcap_pkthdr on 64-bit Linux: struct timeval (two longs), caplen, len.
        long sec = Marshal.ReadInt64(header, 0);
        long usec = Marshal.ReadInt64(header, 8);
        int capLen = Marshal.ReadInt32(header, 16);
        int wireLen = Marshal.ReadInt32(header, 20);
        capLen = Math.Clamp(capLen, 0, batch.Capacity); // bounded by the snapshot length; clamped, never trusted
        if (!batch.Fits(capLen)) Hand(ref batch);
        batch.Add(data, capLen, wireLen, sec + (usec * 1e-6));
        long n = Interlocked.Increment(ref _captured);
        Interlocked.Add(ref _capturedBytes, capLen);
        if ((n & 0xFFF) == 0) RefreshStats(force: false);
    }

    /// <summary>Publishes the batch and takes an empty one; when the queue is full the same batch, emptied, is kept.</summary>
    private void Hand(ref PacketBatch batch)
    {
        if (batch.Count == 0) return;
        if (!Queue.Publish(batch, _stop ? TimeSpan.Zero : s_queueFullWait)) return;
        batch = Queue.Rent();
        batch.LinkType = LinkType;
    }

    private void RefreshStats(bool force)
    {
        long now = Environment.TickCount64;
        if (!force && now < _nextStats) return;
        _nextStats = now + StatsPeriodMilliseconds;
        ICaptureStatistics? s;
        try
        {
            s = _device.Statistics;
        }
        catch (PcapException)
        {
            return; // counters stay as last read; the capture itself goes on
        }

        if (s is null) return;
        lock (_statsGate)
        {
            // libpcap's counters are 32-bit and wrap: add the unsigned differences.
            _received += (uint)(s.ReceivedPackets - _lastRecv);
            _kernelDropped += (uint)(s.DroppedPackets - _lastDrop);
            _interfaceDropped += (uint)(s.InterfaceDroppedPackets - _lastIfDrop);
            _lastRecv = s.ReceivedPackets;
            _lastDrop = s.DroppedPackets;
            _lastIfDrop = s.InterfaceDroppedPackets;
        }
    }

    private static PcapInterface FindInterface(string name)
    {
        IReadOnlyList<PcapInterface> all;
        try
        {
            all = PcapInterface.GetAllPcapInterfaces();
        }
        catch (Exception e) when (IsLibpcapMissing(e))
        {
            throw new InputException(LibpcapMissingMessage, e);
        }
        catch (PcapException e)
        {
            throw new InputException($"{name}: cannot list the network interfaces: {e.Message}", e);
        }

        foreach (var i in all)
        {
            if (i.Name == name) return i;
        }

        var names = new List<string>();
        foreach (var i in all) names.Add(i.Name);
        throw new InputException($"{name}: no such interface (interfaces here: {string.Join(", ", names)})");
    }

    private static void SetFilter(CaptureDevice device, string name, string filter)
    {
        try
        {
            device.Filter = filter;
        }
        catch (PcapException e)
        {
            throw new InputException($"{name}: bad capture filter (-F / parameters.pcapfilter) '{filter}': {e.Message}", e);
        }
    }

    /// <summary>The message for libpcap not being loadable.</summary>
    public const string LibpcapMissingMessage =
        "live capture needs libpcap, which could not be loaded: install the Debian package libpcap0.8 (apt-get install libpcap0.8)";

    /// <summary>Whether <paramref name="e"/> says that the libpcap shared library could not be loaded.</summary>
    public static bool IsLibpcapMissing(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException) return true;
        }

        return false;
    }

    private static string DescribeOpenError(string name, PcapException e) => e.Error switch
    {
        PcapError.PermissionDenied or PcapError.PromiscuousPermissionDenied =>
            $"{name}: no permission to capture (run as root, or give the program CAP_NET_RAW and CAP_NET_ADMIN)",
        PcapError.NoSuchDevice => $"{name}: no such interface",
        PcapError.InterfaceNotUp => $"{name}: the interface is down",
        _ => $"{name}: cannot capture: {e.Message}",
    };

    /// <summary>SharpPcap's live device with its poll on the capture descriptor made reachable.</summary>
    private sealed class CaptureDevice(PcapInterface pcapInterface) : LibPcapLiveDevice(pcapInterface)
    {
        /// <summary>Waits until the ring has packets or <paramref name="milliseconds"/> pass.</summary>
        public void WaitForPackets(int milliseconds) => PollFileDescriptor(milliseconds);
    }
}

using SlipsP2P.Detection.Detectors.Connections;
using SlipsP2P.Detection.Detectors.Periodicity;
using SlipsP2P.Detection.Profiling;
using SlipsP2P.Detection.Tests.Support;
using static SlipsP2P.Detection.Tests.Support.TestFlows;

namespace SlipsP2P.Detection.Tests;

/// <summary>
/// Issue 5: periodicity and data upload keep IPv4 tuples under packed keys with packed uids. The evidence must be the
/// same whatever path a tuple takes: IPv4 or IPv6, uids that pack or not, or a mix.
/// </summary>
public sealed class PackedStateTests
{
    private const long MB = 1024 * 1024;

    [Fact]
    public void V4TupleKey_TwelveBytesAlignedToFour()
    {
        // 12 and 4: a table entry of the key and a 4-byte-aligned value then has no padding between them.
        Assert.Equal(12, System.Runtime.CompilerServices.Unsafe.SizeOf<V4TupleKey>());
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<(V4TupleKey, int)>());
    }

    [Fact]
    public void TryTuple_Ipv6_FalseAndIpv4Exact()
    {
        Assert.False(PackedKeys.TryTuple(Ip("2001:db8::1"), Ip("10.0.0.1"), 443, Protocol.Tcp, out _));
        Assert.True(PackedKeys.TryTuple(Ip("10.0.0.1"), Ip("1.2.3.4"), 443, Protocol.Tcp, out var a));
        Assert.True(PackedKeys.TryTuple(Ip("10.0.0.1"), Ip("1.2.3.4"), 443, Protocol.Udp, out var b));
        Assert.True(PackedKeys.TryTuple(Ip("1.2.3.4"), Ip("10.0.0.1"), 443, Protocol.Tcp, out var c));
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(0x0A000001_01020304UL, a.Addresses);
    }

    public static TheoryData<string, string, string> Paths => new()
    {
        { "10.0.0.5", "93.184.216.34", "C{0}Xk3mPq9Zr2Tw7Ba" }, // IPv4, uids that pack
        { "10.0.0.5", "93.184.216.34", "uid-{0}" },             // IPv4, uids that do not
        { "10.0.0.5", "93.184.216.34", "{1}{0}" },              // IPv4, the first does not pack, the others do
        { "2001:db8::5", "2a00:1450:4001::8a", "C{0}Xk3mPq9Zr2Tw7Ba" }, // IPv6
        { "10.0.0.5", "93.184.216.34", "{2}" },                 // IPv4, numbered uids (the node's own, kept as numbers)
        { "10.0.0.5", "93.184.216.34", "{3}" },                 // IPv4, numbered and Zeek's uids in turn
        { "10.0.0.5", "93.184.216.34", "{4}" },                 // IPv4, Zeek's uids in turn with numbered ones
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Periodicity_AnyPath_EvidenceWithEveryUidInOrder(string src, string dst, string uidFormat)
    {
        var uids = Uids(uidFormat, 16);
        var sink = new RecordingSink();
        var pipeline = new AnalysisPipeline(new AnalysisOptions(), sink, [new PeriodicityDetector()]);
        for (int i = 0; i < uids.Length; i++)
        {
            pipeline.OnEvent(Flow(src, dst, 443, 1000 + (5 * i), established: true, srcBytes: 300, dstBytes: 4000, uid: uids[i]));
        }

        pipeline.Finish();

        var all = sink.OfType(EvidenceTypes.CommandAndControlChannel);
        Assert.Equal(2, all.Count); // at 8 and 16 connections
        Assert.Equal(uids[..8], all[0].Uids);
        Assert.Equal(uids, all[1].Uids);
        Assert.Contains("8 connections, period 5 s", all[0].Description, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Periodicity_FirstConnectionInAnEarlierWindow_CountsFromTheNewWindow(string src, string dst, string uidFormat)
    {
        // One connection in window 1, then 7 at 5 s in window 2: 7 is below the 8 needed, the 8th in window 2 reports.
        var uids = Uids(uidFormat, 9);
        var sink = new RecordingSink();
        var pipeline = new AnalysisPipeline(new AnalysisOptions { TimeWindowWidth = 60 }, sink, [new PeriodicityDetector()]);
        pipeline.OnEvent(Flow(src, dst, 443, 1000, established: true, uid: uids[0]));
        for (int i = 1; i < 8; i++) pipeline.OnEvent(Flow(src, dst, 443, 1055 + (5 * i), established: true, uid: uids[i]));
        Assert.Empty(sink.OfType(EvidenceTypes.CommandAndControlChannel));

        pipeline.OnEvent(Flow(src, dst, 443, 1095, established: true, uid: uids[8]));

        var e = Assert.Single(sink.OfType(EvidenceTypes.CommandAndControlChannel));
        Assert.Equal(uids[1..], e.Uids);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void DataUpload_AnyPath_SameEvidenceAndUids(string src, string dst, string uidFormat)
    {
        var uids = Uids(uidFormat, 6);
        var sink = new RecordingSink();
        var pipeline = new AnalysisPipeline(new AnalysisOptions(), sink, [new DataUploadDetector()]);
        for (int i = 0; i < 6; i++) pipeline.OnEvent(Flow(src, dst, 443, 1 + i, srcBytes: (i < 5 ? 99 : 5) * MB, uid: uids[i]));
        pipeline.Finish();

        var ev = sink.OfType(EvidenceTypes.DataUpload);
        Assert.Equal(2, ev.Count);
        Assert.All(ev, e => Assert.Equal(uids, e.Uids));
        Assert.All(ev, e => Assert.Contains("500 MBs sent to", e.Description, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void DataUpload_FlowsWithoutUid_LeftOutOfTheList(string src, string dst, string uidFormat)
    {
        var uids = Uids(uidFormat, 6);
        var sink = new RecordingSink();
        var pipeline = new AnalysisPipeline(new AnalysisOptions(), sink, [new DataUploadDetector()]);
        pipeline.OnEvent(Flow(src, dst, 443, 1, srcBytes: 99 * MB, uid: ""));
        pipeline.OnEvent(Flow(src, dst, 443, 2, srcBytes: 99 * MB, uid: uids[0]));
        pipeline.OnEvent(Flow(src, dst, 443, 3, srcBytes: 99 * MB, uid: ""));
        pipeline.OnEvent(Flow(src, dst, 443, 4, srcBytes: 99 * MB, uid: uids[1]));
        pipeline.OnEvent(Flow(src, dst, 443, 5, srcBytes: 99 * MB, uid: uids[2]));
        pipeline.OnEvent(Flow(src, dst, 443, 6, srcBytes: 5 * MB, uid: ""));

        var ev = sink.OfType(EvidenceTypes.DataUpload);
        Assert.Equal(2, ev.Count);
        Assert.All(ev, e => Assert.Equal(uids[..3], e.Uids));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void DataUpload_PairsWithListsInWindowsEvictedBetween_EachKeepsItsOwnUids(string src, string dst, string uidFormat)
    {
        // Two pairs with uid lists in window 1, evicted by window 4 (60-second windows), then the pairs again there:
        // each report names only its own window's uids.
        var uids = Uids(uidFormat, 12);
        var sink = new RecordingSink();
        var options = new AnalysisOptions { TimeWindowWidth = 60 };
        options.FlowAlerts.DataUploadMegabytes = 25;
        var pipeline = new AnalysisPipeline(options, sink, [new DataUploadDetector()]);
        const string other = "151.101.1.69";
        pipeline.OnEvent(Flow(src, other, 443, 1, srcBytes: 10 * MB, uid: uids[0]));
        pipeline.OnEvent(Flow(src, dst, 443, 2, srcBytes: 10 * MB, uid: uids[1]));
        pipeline.OnEvent(Flow(src, other, 443, 3, srcBytes: 10 * MB, uid: uids[2]));
        pipeline.OnEvent(Flow(src, dst, 443, 4, srcBytes: 10 * MB, uid: uids[3]));
        pipeline.OnEvent(Flow(src, dst, 443, 5, srcBytes: 7 * MB, uid: uids[4]));
        pipeline.OnEvent(Flow(src, dst, 443, 200, srcBytes: 10 * MB, uid: uids[5]));
        pipeline.OnEvent(Flow(src, dst, 443, 201, srcBytes: 10 * MB, uid: uids[6]));
        pipeline.OnEvent(Flow(src, dst, 443, 202, srcBytes: 7 * MB, uid: uids[7]));
        pipeline.Finish();

        var ev = sink.OfType(EvidenceTypes.DataUpload);
        Assert.Equal(4, ev.Count);
        Assert.All(ev.Take(2), e => Assert.Equal([uids[1], uids[3], uids[4]], e.Uids));
        Assert.All(ev.Skip(2), e => Assert.Equal([uids[5], uids[6], uids[7]], e.Uids));
        Assert.All(ev, e => Assert.Contains("27 MBs sent to", e.Description, StringComparison.Ordinal));
    }

    [Fact]
    public void DnsWithoutConnection_UidsThatPackOrNot_EveryUidInOrder()
    {
        string numbered = PackedUid.FromNumber(987_654_321_987UL).ToString();
        string[] uids = ["CAbc123", "dns-1", "", "18446744073709551615", "C0aZ9zA8bY7cX6dW5e123", numbered, "CAbc124", numbered.Replace('C', 'D')];
        var sink = new RecordingSink();
        var pipeline = new AnalysisPipeline(new AnalysisOptions(), sink, [new SlipsP2P.Detection.Detectors.Dns.DnsWithoutConnectionDetector()]);
        for (int i = 0; i < uids.Length; i++)
        {
            pipeline.OnEvent(new DnsRecord
            {
                Source = Ip("10.0.0.1"),
                Destination = Ip("10.0.0.53"),
                DestinationPort = 53,
                Timestamp = 1 + i,
                Uid = uids[i],
                Query = $"n{i}.example.com",
                QueryType = 1,
                Answers = [$"93.184.0.{1 + i}"],
            });
        }

        pipeline.Finish();

        var e = Assert.Single(sink.OfType(EvidenceTypes.DnsWithoutConnection));
        Assert.StartsWith("8 domains resolved with no connection", e.Description, StringComparison.Ordinal);
        Assert.Equal(["CAbc123", "dns-1", "18446744073709551615", "C0aZ9zA8bY7cX6dW5e123", numbered, "CAbc124", numbered.Replace('C', 'D')], e.Uids);
    }

    [Fact]
    public void PeriodicityState_UidsThatPackOrNot_FirstOnesUpToTheCap()
    {
        var state = new PeriodicityDetector.TupleState();
        state.Reset(0);
        state.AddUid("");
        Assert.Empty(state.UidSnapshot());
        string[] uids = [.. Enumerable.Range(0, Evidence.MaxUids + 5).Select(i => i % 4 == 1 ? $"flow-{i}" : $"C{i}Xk3mPq9Zr2Tw7Ba")];
        for (int i = 0; i < uids.Length; i++)
        {
            state.AddUid(uids[i]);
            Assert.Equal(uids[..Math.Min(i + 1, Evidence.MaxUids)], state.UidSnapshot());
        }

        // A new window starts an empty list, whichever way its first uid is kept.
        state.Reset(1);
        Assert.Empty(state.UidSnapshot());
        state.AddUid("flow-x");
        Assert.Equal(["flow-x"], state.UidSnapshot());
        state.AddUid("CAbc");
        Assert.Equal(["flow-x", "CAbc"], state.UidSnapshot());
    }

    [Fact]
    public void UidCounts_FirstInlineThenMore_BehavesAsADictionary()
    {
        var counts = new UidCounts();
        var reference = new Dictionary<ulong, int>();
        string[] texts = ["Ca", "Ca", "Cb", "Ca", "Cc", "Cb", "cA"];
        ulong[] uids = [.. texts.Select(u => KeyHash.Of(u))];
        for (int i = 0; i < uids.Length; i++)
        {
            Assert.Equal(reference.TryGetValue(uids[i], out int expected), counts.TryGetValue(uids[i], out int actual));
            Assert.Equal(expected, actual);
            reference[uids[i]] = i;
            counts[uids[i]] = i;
            Assert.Equal(reference.Count, counts.Count);
        }

        foreach (var (uid, count) in reference)
        {
            Assert.True(counts.TryGetValue(uid, out int actual));
            Assert.Equal(count, actual);
        }

        Assert.False(counts.TryGetValue(KeyHash.Of("Cd"), out int none));
        Assert.Equal(0, none);
        Assert.Equal(0, new UidCounts().Count);
    }

    private static string[] Uids(string format, int count)
    {
        var uids = new string[count];
        for (int i = 0; i < count; i++)
        {
            string numbered = PackedUid.FromNumber((ulong)(i + 1) * 0x0123_4567_89AB_CDEFUL % PackedUid.NumberLimit).ToString();
            string zeek = $"C{i}Xk3mPq9Zr2Tw7Ba";
            uids[i] = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, i, i == 0 ? "first-" : "C", numbered,
                i % 2 == 0 ? numbered : zeek, i % 2 == 0 ? zeek : numbered);
        }

        return uids;
    }
}

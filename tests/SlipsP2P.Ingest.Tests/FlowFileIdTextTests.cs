using System.Globalization;
using System.Text;
using SlipsP2P.Core;
using SlipsP2P.Ingest.FlowFiles;

namespace SlipsP2P.Ingest.Tests;

/// <summary>
/// Community IDs and AIDs of flow files are kept as bytes in shared blocks (<see cref="Utf8TextBlock"/>) until read:
/// every record must still read its own text, across many blocks, through the TSV and JSON conn paths and the eve
/// fast path; values a block cannot take (over-long, escaped, non-ASCII in eve) stay strings with the same text.
/// </summary>
public sealed class FlowFileIdTextTests
{
    // Enough lines that their texts fill many blocks.
    private const int Lines = 2000;

    private static string Cid(int i) => "1:" + i.ToString("D8", CultureInfo.InvariantCulture) + "abcdefghijklmnopqrs=";

    private static string Aid(int i) => "2:" + i.ToString("D8", CultureInfo.InvariantCulture) + "ABCDEFGHIJKLMNOPQRS=";

    [Fact]
    public void Run_ConnTsvOverSeveralBlocks_EveryFlowReadsItsOwnIds()
    {
        var sb = new StringBuilder("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
            + "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\tcommunity_id\taid\n");
        for (int i = 0; i < Lines; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{1700000000 + i}.5\tC{i}\t10.0.0.1\t{1000 + i}\t10.0.0.2\t80\ttcp\tSF\t{Cid(i)}\t{Aid(i)}\n");
        }

        // An over-long Community ID, an (empty) one and an unset AID: strings, as before.
        string longCid = "1:" + new string('x', Utf8TextBlock.MaxTextLength);
        sb.Append(CultureInfo.InvariantCulture, $"1700100000.5\tCL\t10.0.0.1\t1\t10.0.0.2\t80\ttcp\tSF\t{longCid}\t(empty)\n");
        sb.Append("1700100001.5\tCE\t10.0.0.1\t1\t10.0.0.2\t80\ttcp\tSF\t(empty)\t-\n");

        var flows = Read(new ZeekLogSource(Stream(sb), "conn.log", ZeekLogKind.Conn));

        AssertIds(flows);
        Assert.Equal((longCid, ""), (flows[Lines].CommunityId, flows[Lines].Aid));
        Assert.Equal(("", ""), (flows[Lines + 1].CommunityId, flows[Lines + 1].Aid));
    }

    [Fact]
    public void Run_ConnJsonOverSeveralBlocks_EveryFlowReadsItsOwnIds()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Lines; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $$"""{"ts":{{1700000000 + i}}.5,"uid":"C{{i}}","id.orig_h":"10.0.0.1","id.orig_p":{{1000 + i}},"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp","conn_state":"SF","community_id":"{{Cid(i)}}","aid":"{{Aid(i)}}"}""");
            sb.Append('\n');
        }

        // An escaped Community ID leaves the fast path; the general path unescapes it.
        sb.Append("""{"ts":1700100000.5,"uid":"CX","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp","conn_state":"SF","community_id":"1:a\/b="}""");
        sb.Append('\n');

        var flows = Read(new ZeekLogSource(Stream(sb), "conn.log", ZeekLogKind.Conn));

        AssertIds(flows);
        Assert.Equal(("1:a/b=", ""), (flows[Lines].CommunityId, flows[Lines].Aid));
    }

    [Fact]
    public void Run_EveFlowsOverSeveralBlocks_EveryFlowReadsItsOwnCommunityId()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Lines; i++) sb.Append(EveFlow(i, Cid(i))).Append('\n');
        sb.Append(EveFlow(Lines, "1:\u00e9t\u00e9=")).Append('\n'); // non-ASCII: decoded at once, same text
        sb.Append(EveFlow(Lines + 1, "1:a\\/b=")).Append('\n');     // escaped

        var flows = Read(new SuricataSource(Stream(sb), "eve.json"));

        Assert.Equal(Lines + 2, flows.Count);
        for (int i = 0; i < Lines; i++) Assert.Equal(Cid(i), flows[i].CommunityId);
        Assert.Equal("1:\u00e9t\u00e9=", flows[Lines].CommunityId);
        Assert.Equal("1:a/b=", flows[Lines + 1].CommunityId);
    }

    private static string EveFlow(int i, string cid) =>
        "{\"timestamp\":\"2023-11-14T22:13:20.000000+0000\",\"flow_id\":" + (100000 + i).ToString(CultureInfo.InvariantCulture)
        + ",\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":" + (1000 + i).ToString(CultureInfo.InvariantCulture)
        + ",\"dest_ip\":\"10.0.0.2\",\"dest_port\":80,\"proto\":\"TCP\",\"community_id\":\"" + cid + "\",\"flow\":{\"pkts_toserver\":3,"
        + "\"pkts_toclient\":2,\"bytes_toserver\":100,\"bytes_toclient\":200,\"start\":\"2023-11-14T22:13:20.000000+0000\","
        + "\"end\":\"2023-11-14T22:13:21.000000+0000\",\"state\":\"closed\"}}";

    private static void AssertIds(List<FlowRecord> flows)
    {
        Assert.True(flows.Count > Lines);
        for (int i = 0; i < Lines; i++)
        {
            Assert.Equal(("C" + i.ToString(CultureInfo.InvariantCulture), Cid(i), Aid(i)), (flows[i].Uid, flows[i].CommunityId, flows[i].Aid));
        }
    }

    private static MemoryStream Stream(StringBuilder sb) => new(Encoding.UTF8.GetBytes(sb.ToString()));

    private static List<FlowRecord> Read(IEventSource source)
    {
        using (source)
        {
            var sink = CollectingSink.RunAll(source);
            Assert.Equal(0, source.Stats.Skipped);
            return sink.Events.OfType<FlowRecord>().ToList();
        }
    }
}

using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection.Tests;

/// <summary>The append-only paged list that holds a window's other uids in data upload.</summary>
public class PagedListTests
{
    [Fact]
    public void Add_AcrossManyPages_EachIndexGivesItsItemBack()
    {
        var list = new PagedList<long>();
        int n = (PagedList<long>.PageSize * 9) + 3;
        for (int i = 0; i < n; i++) Assert.Equal(i, list.Add(i * 7L));

        Assert.Equal(n, list.Count);
        for (int i = 0; i < n; i++) Assert.Equal(i * 7L, list[i]);
        list[PagedList<long>.PageSize] = -1;
        Assert.Equal(-1, list[PagedList<long>.PageSize]);
        Assert.Equal(PagedList<long>.PageSize * 7L, list[PagedList<long>.PageSize - 1] + 7);
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        var list = new PagedList<int>();
        Assert.Throws<ArgumentOutOfRangeException>(() => list[0]);
        list.Add(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
    }
}

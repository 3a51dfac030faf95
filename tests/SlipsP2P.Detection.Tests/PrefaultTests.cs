using System.Runtime.InteropServices;
using SlipsP2P.Detection.Collections;

namespace SlipsP2P.Detection.Tests;

public class PrefaultTests
{
    [Fact]
    public void Pages_LargeArray_MapsEveryWholePageAndKeepsTheContent()
    {
        Assert.True(OperatingSystem.IsLinux(), "SlipsP2P runs on Linux");
        // Pinned, so that the address mincore is asked about stays the array's.
        var array = GC.AllocateArray<long>(1 << 20, pinned: true);
        array[12_345] = 7;
        array[^1] = -1;
        int before = Prefault.Calls;

        Prefault.Pages(array);

        if (Environment.OSVersion.Version < new Version(5, 14))
        {
            // No MADV_POPULATE_WRITE before Linux 5.14: the call fails once and the array is left to fault as usual.
            Assert.Equal(before, Prefault.Calls);
            Assert.Equal(7, array[12_345]);
            return;
        }

        Assert.True(Prefault.Calls > before, $"madvise(MADV_POPULATE_WRITE) failed on Linux {Environment.OSVersion.Version}");
        nint page = Environment.SystemPageSize;
        nint data = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        nint start = (data + page - 1) & ~(page - 1);
        nint end = (data + (array.Length * sizeof(long))) & ~(page - 1);
        var resident = new byte[(end - start) / page];
        Assert.Equal(0, Mincore(start, (nuint)(end - start), resident));
        Assert.All(resident, r => Assert.Equal(1, r & 1));
        Assert.Equal(7, array[12_345]);
        Assert.Equal(-1, array[^1]);
        Assert.Equal(2, array.Count(v => v != 0));
    }

    [DllImport("libc", EntryPoint = "mincore")]
    private static extern int Mincore(nint address, nuint length, [Out] byte[] vector);
}

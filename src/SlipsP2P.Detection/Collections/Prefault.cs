using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SlipsP2P.Detection.Collections;

/// <summary>
/// Maps a new large array's pages in one system call (Linux <c>madvise(MADV_POPULATE_WRITE)</c>, kernel 5.14 and later)
/// instead of taking one page fault per 4 KiB page at the first write. The detection tables that grow with a window's
/// traffic (<see cref="FlatMap{TKey, TValue, TOps}"/>, <see cref="HashSet64"/>) allocate their arrays in fresh memory, and
/// their first writes fault every page in: on the virtual machines this runs on, a fault costs 10-13 us against under
/// 1 us a page for the same pages mapped in one call (issue 5; a 64 MB test: 205-212 ms touched, 13-15 ms populated),
/// and a table's resize took the analysis thread 20 ms at a time, most of it in faults.
/// <para>
/// The call writes nothing and changes no content: it only makes the pages present, as the first write would have.
/// Where it is not available (another OS, an older kernel) it is skipped for the rest of the run; an array the
/// collector had already touched only costs a walk of its page table.
/// </para>
/// </summary>
internal static partial class Prefault
{
    /// <summary>Arrays smaller than this are left to fault as usual (a few pages, likely already in use).</summary>
    public const int MinBytes = 256 * 1024;

    private const int MadvPopulateWrite = 23;
    private static readonly int s_pageSize = Environment.SystemPageSize;
    private static bool s_unavailable = !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64);

    /// <summary>Calls made so far that mapped pages (for tests).</summary>
    internal static int Calls { get; private set; }

    /// <summary>Makes the pages of <paramref name="array"/> present, when it is at least <see cref="MinBytes"/> long.</summary>
    public static unsafe void Pages<T>(T[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (s_unavailable) return;
        nuint bytes = (nuint)array.Length * (nuint)Unsafe.SizeOf<T>();
        if (bytes < MinBytes) return;
        fixed (byte* data = &Unsafe.As<T, byte>(ref MemoryMarshal.GetArrayDataReference(array)))
        {
            // Only the whole pages inside the array: the call works on pages, and the ones at the ends hold other objects.
            nuint page = (nuint)s_pageSize;
            nuint start = ((nuint)data + page - 1) & ~(page - 1);
            nuint end = ((nuint)data + bytes) & ~(page - 1);
            if (end <= start) return;
            if (Madvise((nint)start, end - start, MadvPopulateWrite) != 0)
            {
                // EINVAL before Linux 5.14 (the advice is unknown); nothing else is expected of a mapped, writable range.
                s_unavailable = true;
                return;
            }

            Calls++;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}

namespace SlipsP2P.Detection.Collections;

/// <summary>
/// An append-only list held in pages of <see cref="PageSize"/> items (16 KiB for a 16-byte item, below the large object
/// heap): adding never copies what is held, where a <see cref="List{T}"/> doubling copied every item and touched a fresh
/// array twice the size (page faults cost ~5 µs each on this VM; issue 5). Indexes stay valid until the list is dropped.
/// </summary>
internal sealed class PagedList<T>
{
    /// <summary>Items per page.</summary>
    public const int PageSize = 1 << PageBits;

    private const int PageBits = 10;
    private const int PageMask = PageSize - 1;

    private T[][] _pages = [];
    private int _count;

    /// <summary>Items held.</summary>
    public int Count => _count;

    /// <summary>The item at <paramref name="index"/> (below <see cref="Count"/>).</summary>
    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
            return ref _pages[index >> PageBits][index & PageMask];
        }
    }

    /// <summary>Appends <paramref name="item"/>; returns its index.</summary>
    public int Add(T item)
    {
        int index = _count;
        int page = index >> PageBits;
        if (page == _pages.Length)
        {
            Array.Resize(ref _pages, Math.Max(4, _pages.Length * 2));
        }

        (_pages[page] ??= new T[PageSize])[index & PageMask] = item;
        _count++;
        return index;
    }
}

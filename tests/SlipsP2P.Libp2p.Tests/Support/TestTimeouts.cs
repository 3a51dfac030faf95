namespace SlipsP2P.Libp2p.Tests.Support;

internal static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task DefaultTimeout(this ValueTask task) => task.AsTask().DefaultTimeout();

    public static Task<T> DefaultTimeout<T>(this ValueTask<T> task) => task.AsTask().DefaultTimeout();
}

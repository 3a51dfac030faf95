using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SlipsP2P.EndToEnd.Tests;

/// <summary>
/// A threat-intelligence feed served over HTTP on 127.0.0.1 by a test (never the Internet): answers every request
/// with the current body and its ETag, or 304 when the client sends that ETag back. The body can change while a run
/// is going; <see cref="StopAsync"/> makes the feed unreachable.
/// </summary>
internal sealed class FeedRefreshServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serve;
    private string _body;
    private int _version = 1;
    private int _requests;
    private int _notModified;

    public FeedRefreshServer(string body)
    {
        _body = body;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/feed.txt";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _serve = Task.Run(ServeAsync);
    }

    /// <summary>The feed's URL.</summary>
    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    public int NotModified => Volatile.Read(ref _notModified);

    /// <summary>Serves <paramref name="body"/> from now on, under a new ETag.</summary>
    public void Change(string body)
    {
        Volatile.Write(ref _body, body);
        Interlocked.Increment(ref _version);
    }

    /// <summary>Stops answering: the feed becomes unreachable.</summary>
    public async Task StopAsync()
    {
        if (_listener.IsListening) _listener.Stop();
        await _serve.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext c;
            try
            {
                c = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            string etag = $"\"v{Volatile.Read(ref _version)}\"";
            if (c.Request.Headers["If-None-Match"] == etag)
            {
                Interlocked.Increment(ref _notModified);
                c.Response.StatusCode = 304;
            }
            else
            {
                c.Response.Headers["ETag"] = etag;
                await c.Response.OutputStream.WriteAsync(Encoding.ASCII.GetBytes(Volatile.Read(ref _body)));
            }

            c.Response.Close();
        }
    }
}

namespace SlipsP2P.Detection;

/// <summary>
/// The organizations the whitelist knows by name (Slips: google, microsoft, apple, facebook, twitter). Each is
/// matched by a few of its own well-known domains, and so by the IPs those domains resolve to in the traffic.
/// No IP ranges or ASNs are shipped: the built-in range list is empty, so an organization's hosts that the traffic
/// never resolves by name are not matched.
/// </summary>
public static class Organizations
{
    private static readonly Dictionary<string, string[]> s_domains = new(StringComparer.OrdinalIgnoreCase)
    {
        ["google"] = ["google.com", "googleapis.com", "gstatic.com", "googleusercontent.com", "googlevideo.com", "youtube.com", "ytimg.com", "1e100.net", "gmail.com", "google-analytics.com", "doubleclick.net"],
        ["microsoft"] = ["microsoft.com", "windows.com", "windowsupdate.com", "live.com", "office.com", "office365.com", "msftncsi.com", "msftconnecttest.com", "bing.com", "azure.com", "outlook.com", "skype.com", "msn.com"],
        ["apple"] = ["apple.com", "icloud.com", "mzstatic.com", "apple-dns.net", "cdn-apple.com", "itunes.com"],
        ["facebook"] = ["facebook.com", "facebook.net", "fbcdn.net", "instagram.com", "whatsapp.com", "whatsapp.net", "messenger.com"],
        ["twitter"] = ["twitter.com", "twimg.com", "t.co", "x.com"],
    };

    /// <summary>True for a supported organization name.</summary>
    public static bool IsKnown(string name) => s_domains.ContainsKey(name);

    /// <summary>The organization's domains (subdomains match too), empty for an unknown name.</summary>
    public static IReadOnlyList<string> DomainsOf(string name) => s_domains.TryGetValue(name, out var d) ? d : Array.Empty<string>();

    /// <summary>The organization's IP ranges: none are shipped (see the class remarks).</summary>
    public static IReadOnlyList<string> RangesOf(string name) => Array.Empty<string>();
}

using SlipsP2P.Detection.Detectors.FlowAlerts;

namespace SlipsP2P.Detection.Detectors.Dns;

/// <summary>
/// High-entropy DNS TXT answers (Slips' dns <c>check_high_entropy_dns_answers</c>): a TXT answer whose Shannon entropy
/// is at least <see cref="FlowAlertOptions.EntropyThreshold"/> bits per character hints at data tunnelled in DNS.
/// MEDIUM, confidence 0.8 (Slips' level for TXT), attacker the querying host.
/// </summary>
public sealed class TxtEntropyDetector : HeuristicDetector
{
    /// <summary>Longest answer scored, in characters (longer ones are scored on their prefix).</summary>
    public const int MaxScoredLength = 4096;

    public override string Name => "dns_txt_entropy";

    public override RecordKinds HandledKinds => RecordKinds.Dns;

    public override void OnRecord(NetEvent record, DetectionContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (record is not DnsRecord dns || dns.Answers.Count == 0) return;
        bool txtQuery = dns.QueryType == 16 || dns.QueryTypeName.Equals("TXT", StringComparison.OrdinalIgnoreCase);
        if (!txtQuery && dns.Answers is AddressAnswers) return; // addresses only: no TXT text, nothing to format
        double threshold = ctx.Options.FlowAlerts.EntropyThreshold;
        int n = Math.Min(dns.Answers.Count, 32);
        for (int i = 0; i < n; i++)
        {
            string answer = dns.Answers[i];
            // Zeek prints TXT answers as "TXT <len> <text>", also in responses whose query it did not see (mDNS).
            if (!txtQuery && !answer.StartsWith("TXT ", StringComparison.Ordinal)) continue;
            double entropy = ShannonEntropy(answer.AsSpan(0, Math.Min(answer.Length, MaxScoredLength)));
            if (entropy < threshold) continue;
            string shown = answer.Length > 80 ? answer[..80] + "..." : answer;
            ctx.Raise(Make(dns, EvidenceTypes.HighEntropyDnsAnswer, ThreatLevel.Medium, 0.8,
                $"A DNS TXT answer with high entropy. query: {dns.Query} answer: \"{shown}\" entropy: {Math.Round(entropy, 2).ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                Protocol.Udp));
            return;
        }
    }

    /// <summary>Shannon entropy in bits per character (chars above 255 share one bucket).</summary>
    public static double ShannonEntropy(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return 0;
        Span<int> counts = stackalloc int[257];
        counts.Clear();
        foreach (char c in text) counts[c < 256 ? c : 256]++;
        double h = 0;
        double len = text.Length;
        foreach (int k in counts)
        {
            if (k == 0) continue;
            double p = k / len;
            h -= p * Math.Log2(p);
        }

        return h;
    }
}

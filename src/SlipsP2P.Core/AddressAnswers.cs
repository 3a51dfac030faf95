using System.Collections;

namespace SlipsP2P.Core;

/// <summary>
/// The answers of a DNS response that are all addresses (A and AAAA records, nearly every response a capture holds),
/// kept as addresses: <see cref="DnsRecord.Answers"/> as a list of texts whose texts are made only when read (a
/// dns.log writer, an evidence description), while detection takes the addresses as they are. Issue 5: making each
/// answer's dotted text and parsing it back was 3-4% of a capture's analysis.
/// </summary>
/// <remarks>
/// A text is made once and kept; two threads reading the same answer at once may each make it, and either is kept.
/// </remarks>
public sealed class AddressAnswers : IReadOnlyList<string>
{
    private readonly IpAddr[] _addresses;
    private string?[]? _texts;

    /// <summary>Answers <paramref name="addresses"/>, in order (the array is kept, not copied).</summary>
    public AddressAnswers(IpAddr[] addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        _addresses = addresses;
    }

    /// <summary>The answers.</summary>
    public ReadOnlySpan<IpAddr> Addresses => _addresses;

    /// <summary>
    /// Answer <paramref name="index"/> of a DNS record's <paramref name="answers"/> as an address: taken as it is from
    /// an <see cref="AddressAnswers"/>, parsed from its text otherwise; false for a name or any other text.
    /// </summary>
    public static bool TryGetAddress(IReadOnlyList<string> answers, int index, out IpAddr address)
    {
        ArgumentNullException.ThrowIfNull(answers);
        if (answers is AddressAnswers all)
        {
            address = all._addresses[index];
            return true;
        }

        return IpAddr.TryParse(answers[index], out address);
    }

    /// <inheritdoc />
    public int Count => _addresses.Length;

    /// <summary>Answer <paramref name="index"/> as text (the address's usual form).</summary>
    public string this[int index]
    {
        get
        {
            var address = _addresses[index]; // throws for an index out of range, as a list does
            var texts = _texts ??= new string?[_addresses.Length];
            return texts[index] ??= address.ToString();
        }
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        for (int i = 0; i < _addresses.Length; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

using System.Text.Json;
using SlipsP2P.Testing;

namespace SlipsP2P.Libp2p.Tests.Support;

/// <summary>Loads ../shared/testvectors/*.json (skips the test when missing, fails in CI).</summary>
internal static class Vectors
{
    public static JsonElement Js()
    {
        string path = Requires.Shared("testvectors/vectors.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static JsonElement Cacophony()
    {
        string path = Requires.Shared("testvectors/cacophony.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static byte[] Hex(string s) => Convert.FromHexString(s);

    public static byte[] Hex(JsonElement e, string name) => Convert.FromHexString(e.GetProperty(name).GetString()!);
}

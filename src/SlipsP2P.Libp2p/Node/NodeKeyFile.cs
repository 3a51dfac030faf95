// Identity key files: the libp2p PrivateKey protobuf (https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md#keys),
// stored raw as js-libp2p and go-libp2p keep it (Type=Ed25519, Data=seed||pub), readable only by the owner (0600).
using System.Buffers;
using System.Security.Cryptography;
using SlipsP2P.Libp2p.Crypto;

namespace SlipsP2P.Libp2p.Node;

/// <summary>A key file that exists but cannot be used; the message names the file.</summary>
public sealed class KeyFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyFileException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeyFileException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeyFileException(string message) : base(message)
    {
    }
}

/// <summary>Loads or creates a node's identity key file.</summary>
public static class NodeKeyFile
{
    /// <summary>Key files larger than this are rejected unread (an Ed25519 PrivateKey is 68 or 100 bytes).</summary>
    public const int MaxFileSize = 4096;

    /// <summary>
    /// Reads the Ed25519 identity in <paramref name="path"/>, or creates a new one there (mode 0600) when the file
    /// does not exist. <paramref name="created"/> tells which.
    /// </summary>
    /// <exception cref="KeyFileException">The file exists but is unreadable, too large, or not an Ed25519 PrivateKey protobuf.</exception>
    public static Ed25519KeyPair LoadOrCreate(string path, out bool created)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        created = false;
        if (File.Exists(path)) return Load(path);
        if (Directory.Exists(path)) throw new KeyFileException($"key file '{path}' is a folder");

        var key = Ed25519KeyPair.Generate();
        byte[] encoded = key.ExportPrivateKey();
        string tmp = path + ".tmp";
        try
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(tmp, options))
            {
                stream.Write(encoded);
                stream.Flush(flushToDisk: true);
            }

            // UnixCreateMode is subject to the umask only by removing bits; set it again to be explicit.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            // No overwrite: if another process created the file meanwhile, keep theirs.
            File.Move(tmp, path, overwrite: false);
            created = true;
            return key;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            key.Dispose();
            TryDelete(tmp);
            if (File.Exists(path)) return Load(path);
            throw new KeyFileException($"cannot create key file '{path}': {ex.Message}", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(encoded);
        }
    }

    /// <summary>Reads an existing key file.</summary>
    /// <exception cref="KeyFileException">The file is missing, unreadable, too large or not an Ed25519 PrivateKey protobuf.</exception>
    public static Ed25519KeyPair Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            long size = new FileInfo(path).Length;
            if (size > MaxFileSize) throw new KeyFileException($"key file '{path}' is {size} bytes; a libp2p Ed25519 private key is 68 bytes");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"cannot read key file '{path}': {ex.Message}", ex);
        }

        try
        {
            if (Ed25519KeyPair.TryDecodePrivateKey(bytes, out var key) != OperationStatus.Done || key is null)
            {
                throw new KeyFileException($"key file '{path}' is not a libp2p Ed25519 PrivateKey protobuf ({bytes.Length} bytes); " +
                                           "move it away to create a new identity");
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temporary file is harmless.
        }
    }
}

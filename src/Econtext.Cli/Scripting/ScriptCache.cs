using System.Security.Cryptography;

namespace Econtext.Cli.Scripting;

/// <summary>
/// Compiled script images on disk, so a script run again skips Roslyn (over a second cold). Each
/// file is the image followed by its SHA-256: a cut or damaged file fails the check and is rebuilt
/// instead of being loaded and sent to every target. Files are written under a temporary name and
/// renamed, so a reader never sees half of one.
/// </summary>
internal sealed class ScriptCache
{
    public const string DirectoryVariable = "ECONTEXT_SCRIPT_CACHE";

    private const int HashLength = 32;

    public ScriptCache(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>
    /// <c>$ECONTEXT_SCRIPT_CACHE</c> (<c>off</c> for none), else <c>$XDG_CACHE_HOME/econtext/scripts</c>,
    /// else <c>~/.cache/econtext/scripts</c>.
    /// </summary>
    public static string? DefaultDirectory()
    {
        string? chosen = Running.CliSession.Current.Variable(DirectoryVariable);
        if (string.Equals(chosen, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(chosen))
        {
            return Running.CliSession.Current.FullPath(chosen);
        }

        string? xdg = Running.CliSession.Current.Variable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg
            : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache")
            : Path.Combine(Path.GetTempPath(), "econtext-" + Environment.UserName);
        return Path.Combine(root, "econtext", "scripts");
    }

    /// <summary>The image stored under <paramref name="key"/>, or null when there is none or it is damaged.</summary>
    public byte[]? TryRead(string key)
    {
        byte[] stored;
        try
        {
            stored = File.ReadAllBytes(PathOf(key));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (stored.Length <= HashLength)
        {
            return null;
        }

        byte[] image = stored[..^HashLength];
        return SHA256.HashData(image).AsSpan().SequenceEqual(stored.AsSpan(^HashLength..)) ? image : null;
    }

    /// <summary>Stores an image; a cache that cannot be written only costs the next run a compile.</summary>
    public void Write(string key, byte[] image)
    {
        string temporary = Path.Combine(Directory, $".{key}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            // Images from here are loaded and sent to targets: only this user may write them.
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(image);
                file.Write(SHA256.HashData(image));
            }

            File.Move(temporary, PathOf(key), overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
        }
    }

    public string PathOf(string key) => Path.Combine(Directory, key + ".dll");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

namespace Econtext.Cli.Remote;

/// <summary>Runs inside a context: what a path is there, so <c>econtext fetch</c> picks a file or a tree copy.</summary>
public static class RemotePaths
{
    /// <summary>"file", "directory", "missing" or "other" (a device, a socket...), following links.</summary>
    public static string Kind(string path)
    {
        if (Directory.Exists(path))
        {
            return "directory";
        }

        if (File.Exists(path))
        {
            return "file";
        }

        return Path.Exists(path) ? "other" : "missing";
    }

    /// <summary>Creates the directory and its parents, as <c>mkdir -p</c>; nothing if it is there.</summary>
    public static void CreateDirectory(string path) => Directory.CreateDirectory(path);
}

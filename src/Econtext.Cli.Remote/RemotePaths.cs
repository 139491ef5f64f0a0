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

    /// <summary>
    /// Where <c>econtext copy</c> writes a file called <paramref name="name"/> given DEST, as
    /// Ansible's copy: a DEST ending in / is a directory (made, with its parents, if missing) the
    /// file goes into; so is a DEST that is an existing directory; any other DEST is the file's path.
    /// </summary>
    public static string FileDestination(string destination, string name)
    {
        if (destination.EndsWith('/'))
        {
            Directory.CreateDirectory(destination);
            return destination + name;
        }

        return Directory.Exists(destination) ? Path.Combine(destination, name) : destination;
    }

    /// <summary>Creates the directory and its parents, as <c>mkdir -p</c>; nothing if it is there.</summary>
    public static void CreateDirectory(string path) => Directory.CreateDirectory(path);
}

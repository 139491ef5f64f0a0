namespace Econtext.TransportTests.Remote;

/// <summary>Runs in a context inside a container: where it is and what it was given.</summary>
public static class ContainerProbe
{
    public static string OsRelease() => File.ReadAllText("/etc/os-release");

    /// <summary>readlink /proc/self/ns/KIND, e.g. <c>mnt:[4026532317]</c>.</summary>
    public static string Namespace(string kind) => new FileInfo("/proc/self/ns/" + kind).LinkTarget ?? string.Empty;

    public static string CurrentDirectory() => Environment.CurrentDirectory;

    public static string? Variable(string name) => Environment.GetEnvironmentVariable(name);

    /// <summary>Whether the root file system takes a new file (false in a container run --read-only).</summary>
    public static bool RootWritable()
    {
        try
        {
            File.WriteAllText("/econtext-probe", "x");
            File.Delete("/econtext-probe");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

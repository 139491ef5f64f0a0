using System.Globalization;

namespace Econtext.TransportTests.Remote;

/// <summary>Runs in a context: where it is (its namespaces, root directory, host name, ids), as the kernel sees it from inside.</summary>
public static class PlaceProbe
{
    /// <summary>The namespaces worth comparing, as named under /proc/PID/ns.</summary>
    public static readonly string[] Kinds = ["mnt", "pid", "net", "uts", "ipc"];

    /// <summary>"mnt=mnt:[4026531841]" and so on, for <see cref="Kinds"/>, from this process's /proc/self/ns.</summary>
    public static string[] Namespaces() => Kinds.Select(k => k + "=" + new FileInfo("/proc/self/ns/" + k).LinkTarget).ToArray();

    /// <summary>The host name of the context's UTS namespace (not a cached value).</summary>
    public static string HostName() => File.ReadAllText("/proc/sys/kernel/hostname").Trim();

    /// <summary>The names in the root directory, sorted.</summary>
    public static string[] RootEntries() => Directory.GetFileSystemEntries("/").Select(e => e.TrimStart('/')).Order(StringComparer.Ordinal).ToArray();

    public static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    public static string Read(string path) => File.ReadAllText(path);

    /// <summary>"uid gid", real ids, from /proc/self/status.</summary>
    public static string Ids()
    {
        string uid = "?", gid = "?";
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                uid = line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            }
            else if (line.StartsWith("Gid:", StringComparison.Ordinal))
            {
                gid = line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            }
        }

        return uid + " " + gid;
    }

    /// <summary>The pid this process has in its own pid namespace (what it reported as its id).</summary>
    public static int ProcessId() => Environment.ProcessId;

    /// <summary>The pids in the context's /proc, which in a pid namespace of its own are only that namespace's.</summary>
    public static int[] VisibleProcesses() =>
        Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 0)
            .Where(p => p > 0).Order().ToArray();

    /// <summary>The folder the running runtime was loaded from.</summary>
    public static string RuntimeDirectory() => System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
}

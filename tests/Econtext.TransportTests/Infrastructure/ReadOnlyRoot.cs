namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// A read-only view of a directory for chroot: a private bind mount of it remounted read-only, with
/// /proc mounted inside and, if asked, a writable tmpfs on /tmp (a container run with
/// <c>--read-only</c> looks the same). The directory itself stays writable through its own path:
/// read-only is a property of this mount only. Disposing unmounts everything, innermost first, and
/// removes the mount point.
/// </summary>
public sealed class ReadOnlyRoot : IAsyncDisposable
{
    private readonly List<string> _mounts = [];

    private ReadOnlyRoot(string path) => Path = path;

    /// <summary>The read-only view, to chroot into.</summary>
    public string Path { get; }

    public static async Task<ReadOnlyRoot> CreateAsync(string source, bool writableTmp)
    {
        var root = new ReadOnlyRoot(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "econtext-ro-" + Guid.NewGuid().ToString("N")[..12]));
        Directory.CreateDirectory(root.Path);
        try
        {
            await root.MountAsync(root.Path, "--bind", source, root.Path);

            // Private: mounts made under the view (its /proc, /tmp) must not propagate to the source's peers.
            await Shell.CheckAsync("/usr/bin/mount", "--make-private", root.Path);
            await Shell.CheckAsync("/usr/bin/mount", "-o", "remount,ro,bind", root.Path);
            await root.MountAsync(System.IO.Path.Combine(root.Path, "proc"), "-t", "proc", "proc", System.IO.Path.Combine(root.Path, "proc"));
            if (writableTmp)
            {
                await root.MountAsync(System.IO.Path.Combine(root.Path, "tmp"), "-t", "tmpfs", "-o", "mode=1777,size=512m", "tmpfs", System.IO.Path.Combine(root.Path, "tmp"));
            }

            return root;
        }
        catch
        {
            await root.DisposeAsync();
            throw;
        }
    }

    /// <summary>Whether <paramref name="path"/> is a mount point now (by /proc/self/mountinfo).</summary>
    public static bool IsMounted(string path) =>
        File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ') is { Length: > 4 } fields && fields[4] == path);

    private async Task MountAsync(string target, params string[] arguments)
    {
        await Shell.CheckAsync("/usr/bin/mount", arguments);
        _mounts.Add(target);
    }

    public async ValueTask DisposeAsync()
    {
        var errors = new List<string>();
        for (int i = _mounts.Count - 1; i >= 0; i--)
        {
            RunResult result = await Shell.RunAsync("/usr/bin/umount", _mounts[i]);
            if (result.ExitCode != 0)
            {
                // Busy (a process a failed test left in there): detach it now, it goes when they do.
                RunResult lazy = await Shell.RunAsync("/usr/bin/umount", "-l", _mounts[i]);
                if (lazy.ExitCode != 0)
                {
                    errors.Add($"umount {_mounts[i]}: {result}; umount -l: {lazy}");
                }
            }
        }

        _mounts.Clear();
        if (errors.Count == 0 && Directory.Exists(Path) && !IsMounted(Path))
        {
            Directory.Delete(Path);
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("unmounting the read-only root failed: " + string.Join("; ", errors));
        }
    }
}

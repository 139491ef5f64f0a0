using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// A small Debian userland without .NET, copied from this machine into a directory: by default the
/// programs of coreutils, dash, bash, sed, grep, gzip, findutils and tar with their libraries, and
/// what a runtime Econtext ships needs from the system (the C++ runtime, OpenSSL), /tmp, /dev nodes
/// and an /etc/passwd. Stage 0 run in it finds no dotnet anywhere, as on a host where .NET was never
/// installed. The no-.NET chroot of <see cref="TestHosts"/> and the container images of
/// <see cref="ContainerEngine"/> are built with it.
/// </summary>
public sealed record MinimalRootfs
{
    /// <summary>The programs to copy, with their libraries; null takes the Debian userland above.</summary>
    public IReadOnlyList<string>? Programs { get; init; }

    /// <summary>Whether libstdc++ is there: without it a shipped runtime cannot start (as in a slim image with no C++ runtime).</summary>
    public bool CppRuntime { get; init; } = true;

    /// <summary>Accounts besides root, in /etc/passwd and /etc/group.</summary>
    public IReadOnlyList<RootfsUser> Users { get; init; } = [];

    /// <summary>The text of /etc/os-release; null writes none.</summary>
    public string? OsRelease { get; init; }

    /// <summary>Whether to make /dev/null, /dev/zero and /dev/urandom (a chroot needs them; a container engine mounts its own /dev).</summary>
    public bool DeviceNodes { get; init; } = true;

    /// <summary>Fills <paramref name="root"/> (made if missing).</summary>
    public async Task BuildAsync(string root)
    {
        Directory.CreateDirectory(root);
        SetMode(root, "755");

        // The same merged-/usr layout as the host: /bin -> usr/bin and so on where the host has it.
        foreach (string top in new[] { "bin", "sbin", "lib", "lib32", "lib64", "libx32" })
        {
            var host = new DirectoryInfo("/" + top);
            if (host.LinkTarget is { } target)
            {
                File.CreateSymbolicLink(Path.Combine(root, top), target);
                Directory.CreateDirectory(Path.GetFullPath(target, root + "/"));
            }
            else if (host.Exists)
            {
                Directory.CreateDirectory(Path.Combine(root, top));
            }
        }

        foreach (string dir in new[] { "usr", "usr/bin", "usr/sbin", "usr/lib", "dev", "home", "etc", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
            SetMode(Path.Combine(root, dir), dir == "tmp" ? "1777" : "755");
        }

        var programs = new SortedSet<string>(Programs ?? await DebianUserlandAsync(), StringComparer.Ordinal);
        foreach (string program in programs.Where(File.Exists))
        {
            CopyInto(root, program);
        }

        RunResult ldd = await Shell.RunAsync("/usr/bin/ldd", [.. programs.Where(File.Exists)], standardInput: null);
        foreach (string library in LibrariesIn(ldd.StandardOutput).Where(l => !programs.Contains(l)).Distinct())
        {
            CopyInto(root, library);
        }

        // What a runtime Econtext ships needs from the system, as any Debian host without .NET has
        // it: the C++ runtime (the host and runtime libraries link it) and OpenSSL (the crypto shim
        // opens it when a hash is first computed).
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        string[] runtimeLibraries = ["libcoreclr.so", "libclrjit.so", "libhostpolicy.so", "libSystem.Native.so"];
        RunResult runtimeLdd = await Shell.RunAsync("/usr/bin/ldd", [.. runtimeLibraries.Select(l => Path.Combine(runtime, l)), Path.GetFullPath(Path.Combine(runtime, "../../../dotnet"))], standardInput: null);
        RunResult openssl = await Shell.RunAsync("/usr/bin/dpkg", "-L", "libssl3");
        IEnumerable<string> needed = LibrariesIn(runtimeLdd.StandardOutput)
            .Concat(openssl.StandardOutput.Split('\n').Where(l => Regex.IsMatch(l, @"/lib(ssl|crypto)\.so\.3$")))
            .Where(l => CppRuntime || !Path.GetFileName(l).StartsWith("libstdc++", StringComparison.Ordinal));
        foreach (string library in needed.Distinct().Where(File.Exists))
        {
            CopyInto(root, library);
        }

        if (DeviceNodes)
        {
            // Needs CAP_MKNOD (root has it, also in a default Docker container); a chroot without
            // /dev/null still fails stage 0 the right way, only noisier.
            await Shell.RunAsync("/usr/bin/mknod", "-m", "666", Path.Combine(root, "dev/null"), "c", "1", "3");
            await Shell.RunAsync("/usr/bin/mknod", "-m", "666", Path.Combine(root, "dev/zero"), "c", "1", "5");
            await Shell.RunAsync("/usr/bin/mknod", "-m", "666", Path.Combine(root, "dev/urandom"), "c", "1", "9");
        }

        Directory.CreateDirectory(Path.Combine(root, "proc"));
        await File.WriteAllTextAsync(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n" + string.Concat(Users.Select(u => $"{u.Name}:x:{u.Uid}:{u.Uid}::{u.Home}:{u.Shell}\n")));
        await File.WriteAllTextAsync(Path.Combine(root, "etc/group"), "root:x:0:\n" + string.Concat(Users.Select(u => $"{u.Name}:x:{u.Uid}:\n")));
        if (OsRelease is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(root, "etc/os-release"), OsRelease);
        }
    }

    private static async Task<IEnumerable<string>> DebianUserlandAsync()
    {
        var programs = new List<string> { "/bin/sh", "/bin/bash", "/usr/bin/env", "/bin/cat", "/usr/bin/base64" };
        RunResult packages = await Shell.RunAsync("/usr/bin/dpkg", "-L", "coreutils", "dash", "bash", "sed", "grep", "gzip", "findutils", "tar");
        foreach (string line in packages.StandardOutput.Split('\n'))
        {
            if (Regex.IsMatch(line, "^(/usr)?/s?bin/[^/]+$") && File.Exists(line)
                && (File.GetUnixFileMode(line) & UnixFileMode.UserExecute) != 0)
            {
                programs.Add(line);
            }
        }

        return programs;
    }

    private static IEnumerable<string> LibrariesIn(string lddOutput) =>
        Regex.Matches(lddOutput, @"^\s+(?:\S+ => )?(/\S+) \(0x", RegexOptions.Multiline).Select(m => m.Groups[1].Value);

    private static void CopyInto(string root, string file)
    {
        string target = root + file;
        if (File.Exists(target))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(file, target); // follows symlinks (sh -> dash)
        File.SetUnixFileMode(target, File.GetUnixFileMode(file) & ~(UnixFileMode.SetUser | UnixFileMode.SetGroup));
    }

    private static void SetMode(string path, string octal) =>
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(octal, 8));
}

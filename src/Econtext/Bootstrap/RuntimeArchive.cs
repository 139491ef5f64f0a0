using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Econtext.Bootstrap;

/// <summary>
/// A pruned copy of this process's own .NET runtime, for targets that have none: the muxer, hostfxr,
/// hostpolicy, the runtime's native libraries and the managed assemblies every context loads, as a
/// gzip'd tar. The rest of the framework is left out; a context that needs another framework
/// assembly asks for it like any other assembly and gets it from memory (it is not written to disk).
/// Built once per process, the first time a target asks for it, from whatever runtime this process
/// runs on (an intermediate that itself runs a shipped runtime builds the same archive).
/// </summary>
internal sealed class RuntimeArchive
{
    /// <summary>Native libraries: needed by the runtime itself and not loadable from memory.</summary>
    private static readonly string[] NativeFiles =
    [
        "libhostpolicy.so", "libcoreclr.so", "libclrjit.so", "libSystem.Native.so",
        "libSystem.Security.Cryptography.Native.OpenSsl.so", "libSystem.IO.Compression.Native.so",
        "libSystem.Net.Security.Native.so", "libSystem.Globalization.Native.so",
    ];

    /// <summary>
    /// Managed assemblies a context loads before its router can fetch anything, or for its own
    /// calls and file copies (measured: the assemblies a context on a shipped runtime had loaded
    /// after a call, a hash and a file copy). Everything else comes from memory when first used.
    /// </summary>
    private static readonly string[] ManagedFiles =
    [
        "System.Private.CoreLib.dll", "System.Runtime.dll", "System.Console.dll", "System.Threading.dll",
        "System.Threading.Thread.dll", "System.Threading.ThreadPool.dll", "System.Threading.Channels.dll",
        "System.Collections.dll", "System.Collections.Concurrent.dll", "System.Linq.dll", "System.Memory.dll",
        "System.Numerics.Vectors.dll", "System.Runtime.InteropServices.dll", "System.Runtime.Loader.dll",
        "System.Reflection.Emit.ILGeneration.dll", "System.Reflection.Emit.Lightweight.dll", "System.Reflection.Primitives.dll",
        "System.Text.Json.dll", "System.Text.Encodings.Web.dll", "System.Text.Encoding.Extensions.dll",
        "System.Security.Cryptography.dll", "System.IO.Compression.dll",
    ];

    private const string FrameworkName = "Microsoft.NETCore.App";
    private static readonly Lazy<Task<RuntimeArchive>> s_local = new(() => Task.Run(Build));

    private RuntimeArchive(string name, string version, byte[] bytes, int files, long unpackedBytes)
    {
        Name = name;
        Version = version;
        Bytes = bytes;
        Files = files;
        UnpackedBytes = unpackedBytes;
    }

    /// <summary>The cache folder's name on a target: <c>10.0.12-linux-x64-1a2b3c4d5e6f</c>.</summary>
    public string Name { get; }

    public string Version { get; }

    public byte[] Bytes { get; }

    public int Files { get; }

    public long UnpackedBytes { get; }

    /// <summary>This process's runtime, packed once.</summary>
    public static Task<RuntimeArchive> Local => s_local.Value;

    /// <summary>
    /// Null when a target that reported <paramref name="platform"/> (<c>uname -sm</c>, then its libc)
    /// can run this process's runtime; otherwise why not, in words for the error message.
    /// </summary>
    public static string? Unsuitable(string platform)
    {
        string[] parts = platform.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string os = parts.Length > 0 ? parts[0] : "?";
        string machine = parts.Length > 1 ? parts[1] : "?";
        string libc = parts.Length > 2 ? parts[2] : "glibc";
        bool musl = RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);
        if (libc != (musl ? "musl" : "glibc"))
        {
            return $"the target's C library is {libc} and this side's runtime is built for {(musl ? "musl" : "glibc")}, so it cannot run there";
        }

        if (!OperatingSystem.IsLinux() || os != "Linux")
        {
            return $"the target is {os} {machine}; only a Linux runtime can be shipped, and only to Linux";
        }

        string[] accepted = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => ["x86_64", "amd64"],
            Architecture.Arm64 => ["aarch64", "arm64", "armv8l"],
            Architecture.Arm => ["armv7l", "armv7", "armv6l"],
            _ => [],
        };
        return accepted.Contains(machine, StringComparer.Ordinal)
            ? null
            : $"the target is {machine} and this side's runtime is {RuntimeInformation.OSArchitecture}, so it cannot be shipped there";
    }

    private static RuntimeArchive Build()
    {
        string shared = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        string version = Path.GetFileName(shared);
        string root = Path.GetFullPath(Path.Combine(shared, "..", "..", ".."));
        string frameworkDir = $"shared/{FrameworkName}/{version}";
        string fxr = FindHostFxr(root, version);

        // (path inside the archive, path here) for every file, sorted so the name is stable.
        var files = new List<(string Entry, string Source)>
        {
            ("dotnet", Path.Combine(root, "dotnet")),
            (fxr, Path.Combine(root, fxr)),
            ($"{frameworkDir}/{FrameworkName}.runtimeconfig.json", Path.Combine(shared, $"{FrameworkName}.runtimeconfig.json")),
        };
        foreach (string file in NativeFiles.Concat(ManagedFiles))
        {
            string source = Path.Combine(shared, file);
            if (File.Exists(source))
            {
                files.Add(($"{frameworkDir}/{file}", source));
            }
            else if (file is "libhostpolicy.so" or "libcoreclr.so" or "libclrjit.so" or "System.Private.CoreLib.dll")
            {
                throw new FileNotFoundException($"this process's runtime at {shared} has no {file}, so it cannot be shipped", source);
            }
        }

        foreach ((string entry, string source) in files)
        {
            if (!File.Exists(source))
            {
                throw new FileNotFoundException($"this process's runtime has no {entry} (looked at {source}), so it cannot be shipped", source);
            }
        }

        byte[] deps = PrunedDeps(Path.Combine(shared, $"{FrameworkName}.deps.json"), files.Select(f => Path.GetFileName(f.Entry)).ToHashSet(StringComparer.Ordinal));
        files.Sort((a, b) => string.CompareOrdinal(a.Entry, b.Entry));

        // The name: version, platform and a hash of every file's content, so two runtimes of the
        // same version built differently never share a cache folder.
        var manifest = new StringBuilder();
        using var identity = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long unpacked = deps.Length;
        foreach ((string entry, string source) in files)
        {
            byte[] content = File.ReadAllBytes(source);
            unpacked += content.Length;
            manifest.Append(Convert.ToHexStringLower(SHA256.HashData(content))).Append("  ").Append(entry).Append('\n');
        }

        string depsEntry = $"{frameworkDir}/{FrameworkName}.deps.json";
        manifest.Append(Convert.ToHexStringLower(SHA256.HashData(deps))).Append("  ").Append(depsEntry).Append('\n');
        byte[] manifestBytes = Encoding.UTF8.GetBytes(manifest.ToString());
        string rid = RuntimeInformation.RuntimeIdentifier;
        string name = $"{version}-{rid}-{Convert.ToHexStringLower(SHA256.HashData(manifestBytes))[..12]}";

        // The files stage 0 checksums on every later connection (cksum), as a shell assignment.
        string list = string.Join(' ', files.Select(f => f.Entry).Append(depsEntry));
        byte[] listScript = Encoding.UTF8.GetBytes($"f='{list}'\n");

        using var packed = new MemoryStream(16 * 1024 * 1024);
        using (var gzip = new GZipStream(packed, new ZLibCompressionOptions { CompressionLevel = 2 }, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (string directory in new[] { "host", "host/fxr", Path.GetDirectoryName(fxr)!, "shared", $"shared/{FrameworkName}", frameworkDir })
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, directory + "/") { Mode = (UnixFileMode)Convert.ToInt32("755", 8) });
            }

            foreach ((string entry, string source) in files)
            {
                tar.WriteEntry(source, entry);
            }

            WriteBytes(tar, depsEntry, deps);
            WriteBytes(tar, ".sha256", manifestBytes);
            WriteBytes(tar, ".files", listScript);
        }

        return new RuntimeArchive(name, version, packed.ToArray(), files.Count + 1, unpacked);
    }

    private static void WriteBytes(TarWriter tar, string entry, byte[] content) =>
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, entry)
        {
            DataStream = new MemoryStream(content, writable: false),
            Mode = (UnixFileMode)Convert.ToInt32("644", 8),
            ModificationTime = DateTimeOffset.UnixEpoch,
        });

    /// <summary>hostfxr of the same version as the runtime when there is one, else the newest.</summary>
    private static string FindHostFxr(string root, string version)
    {
        string fxrRoot = Path.Combine(root, "host", "fxr");
        if (File.Exists(Path.Combine(fxrRoot, version, "libhostfxr.so")))
        {
            return $"host/fxr/{version}/libhostfxr.so";
        }

        string? newest = Directory.Exists(fxrRoot)
            ? Directory.EnumerateDirectories(fxrRoot).Where(d => File.Exists(Path.Combine(d, "libhostfxr.so")))
                .Select(Path.GetFileName).OrderBy(v => System.Version.TryParse(v?.Split('-')[0], out Version? parsed) ? parsed : new Version(0, 0)).LastOrDefault()
            : null;
        return newest is null
            ? throw new FileNotFoundException($"no host/fxr/*/libhostfxr.so under {root}: this process does not run on a dotnet installation that can be shipped")
            : $"host/fxr/{newest}/libhostfxr.so";
    }

    /// <summary>
    /// The framework's deps.json listing only the files shipped: the host refuses a framework folder
    /// without one, and an entry for a missing file would fail the start.
    /// </summary>
    private static byte[] PrunedDeps(string path, HashSet<string> shipped)
    {
        JsonNode deps = JsonNode.Parse(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path} is empty");
        if (deps["targets"] is JsonObject targets)
        {
            foreach (KeyValuePair<string, JsonNode?> target in targets)
            {
                if (target.Value is not JsonObject packages)
                {
                    continue;
                }

                foreach (KeyValuePair<string, JsonNode?> package in packages)
                {
                    foreach (string section in new[] { "runtime", "native" })
                    {
                        if (package.Value?[section] is JsonObject assets)
                        {
                            foreach (string asset in assets.Select(a => a.Key).Where(a => !shipped.Contains(a)).ToList())
                            {
                                assets.Remove(asset);
                            }
                        }
                    }
                }
            }
        }

        return Encoding.UTF8.GetBytes(deps.ToJsonString());
    }
}

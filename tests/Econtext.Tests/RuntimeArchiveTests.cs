using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Econtext.Bootstrap;
using Xunit.Abstractions;

namespace Econtext.Tests;

/// <summary>The pruned runtime a bare target receives: complete, self-describing and verifiable.</summary>
public sealed class RuntimeArchiveTests(ITestOutputHelper output)
{
    [Fact(Timeout = 120000)]
    public async Task Archive_holds_a_runnable_pruned_runtime_with_a_manifest_that_matches()
    {
        var clock = Stopwatch.StartNew();
        RuntimeArchive archive = await RuntimeArchive.Local;
        output.WriteLine($"{archive.Name}: {archive.Bytes.Length} bytes packed, {archive.UnpackedBytes} unpacked, {archive.Files} files, built in {clock.ElapsedMilliseconds} ms");

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using (var gzip = new GZipStream(new MemoryStream(archive.Bytes), CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType == TarEntryType.RegularFile)
                {
                    using var content = new MemoryStream();
                    entry.DataStream!.CopyTo(content);
                    files[entry.Name] = content.ToArray();
                }
            }
        }

        Assert.Matches(@"^10\.\d+\.\d+(-[\w.]+)?-linux-(x64|arm64|arm)-[0-9a-f]{12}$", archive.Name);
        Assert.Contains("dotnet", files.Keys);
        string version = archive.Version;
        string framework = $"shared/Microsoft.NETCore.App/{version}/";
        foreach (string needed in new[] { "libcoreclr.so", "libclrjit.so", "libhostpolicy.so", "System.Private.CoreLib.dll", "Microsoft.NETCore.App.deps.json", "Microsoft.NETCore.App.runtimeconfig.json" })
        {
            Assert.Contains(framework + needed, files.Keys);
        }

        Assert.Contains(files.Keys, k => k.StartsWith("host/fxr/", StringComparison.Ordinal) && k.EndsWith("/libhostfxr.so", StringComparison.Ordinal));

        // Every line of the manifest matches its file, and every file but the manifest's own helpers is listed.
        string[] manifest = Encoding.UTF8.GetString(files[".sha256"]).TrimEnd('\n').Split('\n');
        foreach (string line in manifest)
        {
            string hash = line[..64];
            string name = line[66..];
            Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(files[name])));
        }

        Assert.Equal(files.Keys.Where(k => !k.StartsWith('.')).Order(StringComparer.Ordinal), manifest.Select(l => l[66..]).Order(StringComparer.Ordinal));
        Assert.Equal($"f='{string.Join(' ', manifest.Select(l => l[66..]))}'\n", Encoding.UTF8.GetString(files[".files"]));

        // The framework's deps.json names exactly the shipped framework files: the host refuses a
        // missing one, and one not listed would never be found.
        JsonNode deps = JsonNode.Parse(files[framework + "Microsoft.NETCore.App.deps.json"])!;
        JsonObject package = deps["targets"]!.AsObject().Select(t => t.Value!.AsObject()).Single(t => t.Count > 0).Single().Value!.AsObject();
        var listed = package["runtime"]!.AsObject().Select(a => a.Key).Concat(package["native"]!.AsObject().Select(a => a.Key)).ToHashSet(StringComparer.Ordinal);
        var shipped = files.Keys.Where(k => k.StartsWith(framework, StringComparison.Ordinal) && (k.EndsWith(".dll", StringComparison.Ordinal) || k.EndsWith(".so", StringComparison.Ordinal)))
            .Select(k => k[framework.Length..]).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(shipped.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("System.Private.Xml.dll", shipped);
    }

    [Fact]
    public void Only_a_platform_that_can_run_this_runtime_is_offered_it()
    {
        bool x64 = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64;
        bool arm64 = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64;
        Assert.Equal(x64, RuntimeArchive.Unsuitable("Linux x86_64") is null);
        Assert.Equal(arm64, RuntimeArchive.Unsuitable("Linux aarch64") is null);
        Assert.Contains("Darwin", RuntimeArchive.Unsuitable("Darwin x86_64"), StringComparison.Ordinal);
        bool musl = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);
        Assert.Equal(x64 && !musl, RuntimeArchive.Unsuitable("Linux x86_64 glibc") is null);
        Assert.Contains(musl ? "glibc" : "musl", RuntimeArchive.Unsuitable(musl ? "Linux x86_64 glibc" : "Linux x86_64 musl"), StringComparison.Ordinal);
        Assert.NotNull(RuntimeArchive.Unsuitable(string.Empty));
    }
}

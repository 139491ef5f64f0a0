using System.Globalization;
using Econtext.TestAssets.Leaf;
using Econtext.TestAssets.Middle;

namespace Econtext.IntegrationTests;

/// <summary>Application assemblies reach a child from memory, pushed ahead of need.</summary>
public sealed class AssemblyLoadingTests(ChildFixture fixture) : IClassFixture<ChildFixture>
{
    [Fact(Timeout = 60000)]
    public async Task Called_assembly_is_loaded_from_memfd_not_from_its_file()
    {
        Context ctx = fixture.Context;
        ChildInfo info = await ctx.CallAsync(() => Probe.WhoAmI()).WaitAsync(Bound);
        Assert.Equal(ctx.RemoteProcessId, info.ProcessId);
        string file = typeof(Probe).Assembly.Location;
        Assert.True(File.Exists(file), $"the test assembly should be a file here: {file}");

        string pid = ctx.RemoteProcessId.ToString(CultureInfo.InvariantCulture);
        string[] maps = await File.ReadAllLinesAsync($"/proc/{pid}/maps");
        List<string> links = FdTargets(pid);

        Assert.DoesNotContain(maps, line => line.Contains(file, StringComparison.Ordinal));
        Assert.DoesNotContain(links, target => target.Contains(file, StringComparison.Ordinal));

        // And it is there, from an anonymous memory file.
        string name = typeof(Probe).Assembly.GetName().Name!;
        Assert.Contains(maps, line => line.Contains("memfd:", StringComparison.Ordinal) && line.Contains(name, StringComparison.Ordinal));
    }

    [Fact(Timeout = 60000)]
    public async Task Nothing_from_the_masters_output_folder_is_open_or_mapped_in_the_child()
    {
        Context ctx = fixture.Context;
        await ctx.CallAsync(() => MiddleApi.Make("probe")).WaitAsync(Bound);
        string folder = Path.GetDirectoryName(typeof(Probe).Assembly.Location)!;

        string pid = ctx.RemoteProcessId.ToString(CultureInfo.InvariantCulture);
        string[] maps = await File.ReadAllLinesAsync($"/proc/{pid}/maps");
        List<string> links = FdTargets(pid);

        Assert.DoesNotContain(maps, line => line.Contains(folder, StringComparison.Ordinal));
        Assert.DoesNotContain(links, target => target.Contains(folder, StringComparison.Ordinal));
        string location = await ctx.CallAsync(() => Probe.OwnLocation()).WaitAsync(Bound);
        Assert.DoesNotContain(folder, location, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task Stage_zero_files_are_gone_once_the_child_runs()
    {
        Context ctx = fixture.Context;
        string pid = ctx.RemoteProcessId.ToString(CultureInfo.InvariantCulture);
        List<string> loaderLines = [.. (await File.ReadAllLinesAsync($"/proc/{pid}/maps")).Where(l => l.Contains("/econtext.", StringComparison.Ordinal))];

        // The loader is mapped from the file stage 0 wrote; that file (and its runtimeconfig) must be gone.
        Assert.NotEmpty(loaderLines);
        foreach (string line in loaderLines)
        {
            Assert.EndsWith("(deleted)", line, StringComparison.Ordinal);
            string path = line[line.IndexOf('/', StringComparison.Ordinal)..^"(deleted)".Length].Trim();
            Assert.False(File.Exists(path), $"stage 0's loader is still on disk: {path}");
            string config = Path.ChangeExtension(path, ".json");
            Assert.False(File.Exists(config), $"stage 0's runtimeconfig is still on disk: {config}");
            if (Path.GetFileName(path) == "l.dll")
            {
                Assert.False(Directory.Exists(Path.GetDirectoryName(path)), $"stage 0's folder is still there: {path}");
            }
        }
    }

    [Fact(Timeout = 60000)]
    public async Task Related_assemblies_are_pushed_ahead_of_need_without_round_trips()
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "push" }).WaitAsync(Bound);
        Assert.Equal(0, router.Statistics.AssembliesPushed);

        LeafItem item = await ctx.CallAsync(() => MiddleApi.Make("seven")).WaitAsync(Bound);

        Assert.Equal(new LeafItem("seven", 35), item);
        Assert.Equal(0, router.Statistics.AssemblyRequests);
        Assert.Equal(2, router.Statistics.AssembliesPushed); // Middle and Leaf, nothing else
        long bytes = router.Statistics.AssemblyBytesPushed;
        long expected = new FileInfo(typeof(MiddleApi).Assembly.Location).Length + new FileInfo(typeof(LeafItem).Assembly.Location).Length;
        Assert.Equal(expected, bytes);

        // Later calls need nothing more: no push, no request.
        string all = await ctx.CallAsync(() => MiddleApi.DescribeAll(new List<LeafItem> { new("a", 1), new("b", 2) })).WaitAsync(Bound);
        Assert.Equal("a:1,b:2", all);
        string where = await ctx.CallAsync(() => MiddleApi.WhereIsLeaf()).WaitAsync(Bound);
        Assert.StartsWith("Econtext.TestAssets.Leaf@", where, StringComparison.Ordinal);
        Assert.Equal(2, router.Statistics.AssembliesPushed);
        Assert.Equal(0, router.Statistics.AssemblyRequests);
    }

    [Fact(Timeout = 60000)]
    public async Task Each_new_context_gets_the_assemblies_pushed_once()
    {
        await using var router = new Router();
        Context first = await router.LocalAsync(new LocalOptions { Name = "push-1" }).WaitAsync(Bound);
        Context second = await router.LocalAsync(new LocalOptions { Name = "push-2" }).WaitAsync(Bound);

        await first.CallAsync(() => MiddleApi.Make("x")).WaitAsync(Bound);
        await first.CallAsync(() => MiddleApi.Make("y")).WaitAsync(Bound);
        Assert.Equal(2, router.Statistics.AssembliesPushed);
        await second.CallAsync(() => MiddleApi.Make("z")).WaitAsync(Bound);
        Assert.Equal(4, router.Statistics.AssembliesPushed);
        Assert.Equal(0, router.Statistics.AssemblyRequests);
    }

    /// <summary>
    /// The preamble carries only what the core references itself; the logging abstractions' own
    /// dependency (DI abstractions) is left out, and still reaches a child whose code needs it.
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task An_assembly_the_bootstrap_leaves_out_arrives_when_code_needs_it()
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "di" }).WaitAsync(Bound);
        string name = await ctx.CallAsync(() => Probe.DependencyInjectionAssembly()).WaitAsync(Bound);
        Assert.Equal("Microsoft.Extensions.DependencyInjection.Abstractions", name);
    }

    private static List<string> FdTargets(string pid)
    {
        var targets = new List<string>();
        foreach (string fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            try
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is not null)
                {
                    targets.Add(target);
                }
            }
            catch (IOException)
            {
                // Closed while we listed.
            }
        }

        Assert.NotEmpty(targets);
        return targets;
    }
}

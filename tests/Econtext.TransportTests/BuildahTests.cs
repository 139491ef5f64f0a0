using System.Runtime.InteropServices;

namespace Econtext.TransportTests;

/// <summary>
/// Contexts in buildah working containers (<c>buildah run</c>, as a build step runs), made with
/// <c>buildah from</c> from the podman fixture's image without .NET in the same private store.
/// <c>buildah run</c> relays its stdin and stdout to the command through pipes of its own when they
/// are not a terminal, which is all the bootstrap needs.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class BuildahTests(PodmanEngine engine, ITestOutputHelper output) : ConnectionTest(output)
{
    private const string Buildah = "/usr/bin/buildah";

    [Fact(Timeout = 60000)]
    public async Task A_context_in_a_working_container_runs_on_the_image()
    {
        string container = await FromAsync("run");
        try
        {
            // .NET put in the way a build step would (buildah copy), not shipped: buildah run relays
            // the context's input through a loop that, while its input stays open, moves about
            // 0.7 MB/s, so the 17 MB runtime would take half a minute (the report says more).
            string runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
            string dotnetRoot = Path.GetFullPath(Path.Combine(runtime, "../../.."));
            await BuildahAsync("copy", container, Path.Combine(dotnetRoot, "dotnet"), "/opt/dotnet/dotnet");
            await BuildahAsync("copy", container, Path.Combine(dotnetRoot, "host"), "/opt/dotnet/host");
            await BuildahAsync("copy", container, runtime, "/opt/dotnet/shared/Microsoft.NETCore.App/" + Path.GetFileName(runtime));

            var router = new Router();
            await using var disposeRouter = router;
            Context inside = await StartAsync(() => router.BuildahAsync(Options(container)), "a context in a buildah working container");
            Assert.Equal("buildah:" + container, inside.Name);
            Assert.Equal(engine.OsRelease, await inside.CallAsync(() => ContainerProbe.OsRelease()).WaitAsync(Bound));
            foreach (string kind in (string[])["mnt", "pid"])
            {
                Assert.NotEqual(Processes.Namespace(Environment.ProcessId, kind), await inside.CallAsync(() => ContainerProbe.Namespace(kind)).WaitAsync(Bound));
            }

            Assert.StartsWith("/opt/dotnet/shared/", await inside.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound), StringComparison.Ordinal);
            Assert.Equal(0, router.Statistics.RuntimesShipped);

            Context guest = await StartAsync(() => router.BuildahAsync(Options(container) with { User = ContainerEngine.Guest.Name, WorkingDirectory = "/etc", Name = "guest" }), "a context as the image's guest user");
            Identity who = await guest.CallAsync(() => Probe.Whoami()).WaitAsync(Bound);
            Assert.Equal((ContainerEngine.Guest.Name, ContainerEngine.Guest.Uid), (who.User, who.Uid));
            Assert.Equal("/etc", await guest.CallAsync(() => ContainerProbe.CurrentDirectory()).WaitAsync(Bound));

            // Files both ways, through the context: in the working container's tree, not this machine's.
            string local = Path.Combine(Path.GetTempPath(), $"ect-buildah-{Guid.NewGuid():N}");
            Directory.CreateDirectory(local);
            try
            {
                byte[] data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000);
                await File.WriteAllBytesAsync(Path.Combine(local, "out.bin"), data);
                await inside.PushFileAsync(Path.Combine(local, "out.bin"), "/tmp/pushed.bin").WaitAsync(Bound);
                Assert.False(File.Exists("/tmp/pushed.bin"), "the file landed on this machine's /tmp");
                await inside.FetchFileAsync("/tmp/pushed.bin", Path.Combine(local, "back.bin")).WaitAsync(Bound);
                Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(local, "back.bin")));
            }
            finally
            {
                Directory.Delete(local, recursive: true);
            }

            // After the router is gone, no buildah run of ours is left.
            List<int> runs = Processes.Descendants(Environment.ProcessId).Where(pid => Processes.CommandLine(pid).Contains(container, StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(runs);
            await router.DisposeAsync();
            Assert.True(await Processes.WaitGoneAsync(runs, Bound), $"buildah run outlived its router: {string.Join(", ", runs)}");
        }
        finally
        {
            await RemoveAsync(container);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task An_unknown_user_is_UserUnknown()
    {
        string container = await FromAsync("user");
        try
        {
            await using var router = new Router();
            ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.UserUnknown, () => router.BuildahAsync(Options(container) with { User = "no-such-user" }));
            AssertQuotes(ex, "error looking up user \"no-such-user\"");
        }
        finally
        {
            await RemoveAsync(container);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task No_such_working_container_is_ContainerNotFound()
    {
        string missing = $"ect-{engine.RunId}-no-build";
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.ContainerNotFound, () => router.BuildahAsync(Options(missing)));
        AssertQuotes(ex, $"reading build container \"{missing}\": container not known");
    }

    private BuildahOptions Options(string container) => new()
    {
        Container = container,
        DotnetPath = "/opt/dotnet/dotnet",
        BuildahPath = Buildah,
        BuildahArgs = engine.BuildahArgs,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    /// <summary>A new working container from the image without .NET; its name.</summary>
    private async Task<string> FromAsync(string what)
    {
        string name = $"ect-{engine.RunId}-build-{what}";
        return await BuildahAsync("from", "--pull-never", "--name", name, engine.ImageNoDotnet);
    }

    private Task RemoveAsync(string container) => BuildahAsync("rm", container);

    /// <summary>Runs buildah on the fixture's private store; fails the test unless it exits with 0.</summary>
    private async Task<string> BuildahAsync(params string[] arguments)
    {
        RunResult result = await Shell.RunAsync(Buildah, [.. engine.BuildahArgs, .. arguments], standardInput: null, engine.EngineEnvironment.ToDictionary(e => e.Key, e => (string?)e.Value));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StandardOutput.Trim();
    }
}

namespace Econtext.TransportTests;

/// <summary>The container suite through podman (<c>podman exec -i</c>), with the fixture's private store.</summary>
[Collection(PodmanCollection.Name)]
public sealed class PodmanTests(PodmanEngine engine, ITestOutputHelper output) : ContainerSuite(engine, output)
{
    protected override string NotRunningWords => "can only create exec sessions on running containers";

    protected override string NotFoundWords(string container) => $"no container with name or ID \"{container}\" found";

    protected override ContainerOptions WithProgram(ContainerOptions options, string path) => ((PodmanOptions)options) with { PodmanPath = path };

    /// <summary>
    /// The engine's own environment is what reaches the engine: a podman service on a socket of
    /// its own, named by CONTAINER_HOST with <c>--remote</c>, serves the context as the local engine does.
    /// </summary>
    [Fact(Timeout = 120000)]
    public async Task Through_the_podman_service_that_CONTAINER_HOST_names()
    {
        string socket = Path.Combine(Engine.Dir, "service.sock");
        var start = new System.Diagnostics.ProcessStartInfo(Engine.ProgramPath) { UseShellExecute = false, RedirectStandardError = true };
        foreach (string argument in (string[])[.. Engine.EngineArgs, "system", "service", "--time=0", "unix://" + socket])
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in Engine.EngineEnvironment)
        {
            start.Environment[name] = value;
        }

        using System.Diagnostics.Process service = System.Diagnostics.Process.Start(start)!;
        try
        {
            // The service listens once its socket exists; there is no other signal to wait for.
            long deadline = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
            while (!File.Exists(socket) && !service.HasExited && Environment.TickCount64 < deadline)
            {
                await Task.Delay(20);
            }

            Assert.True(File.Exists(socket), "the podman service did not create its socket");
            var options = (PodmanOptions)Engine.Options(Engine.Running) with
            {
                EngineArgs = ["--remote"],
                EngineEnvironment = new Dictionary<string, string> { ["CONTAINER_HOST"] = "unix://" + socket },
                ConnectTimeout = TimeSpan.FromSeconds(60),
            };
            await using var router = new Router();
            Context inside = await ConnectAsync(router, options);

            Assert.Equal(Engine.OsRelease, await inside.CallAsync(() => ContainerProbe.OsRelease()).WaitAsync(Bound));
            int exec = Assert.Single(Processes.Descendants(Environment.ProcessId), pid => Processes.CommandLine(pid).StartsWith(Engine.ProgramPath + " --remote exec -i ", StringComparison.Ordinal));
            Assert.Contains("CONTAINER_HOST=unix://" + socket, File.ReadAllText($"/proc/{exec}/environ").Split('\0'));
        }
        finally
        {
            service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync().WaitAsync(Bound);
        }
    }
}

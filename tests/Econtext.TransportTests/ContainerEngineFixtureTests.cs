namespace Econtext.TransportTests;

/// <summary>
/// The engine fixtures' own set-up and clean-up, on instances of their own: everything they made
/// (containers, images, a daemon, mounts, the run's directory) is gone after DisposeAsync.
/// </summary>
public sealed class ContainerEngineFixtureTests(ITestOutputHelper output)
{
    public static TheoryData<string> Engines => new() { "podman", "docker" };

    [Theory(Timeout = 120000)]
    [MemberData(nameof(Engines))]
    public async Task Set_up_and_clean_up_leave_nothing_behind(string engine)
    {
        ContainerEngine fixture = engine == "docker" ? new DockerEngine() : new PodmanEngine();
        try
        {
            await fixture.InitializeAsync().WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"{engine} set-up: {fixture.SetupTime.TotalSeconds:0.0} s");
            Assert.True(await fixture.IsRunningAsync(fixture.Running));
        }
        finally
        {
            await fixture.DisposeAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.False(Directory.Exists(fixture.Dir), $"{fixture.Dir} is still there");
        Assert.DoesNotContain(File.ReadLines("/proc/self/mounts"), line => line.Contains(fixture.Dir, StringComparison.Ordinal));
        Assert.DoesNotContain(Processes.All(), pid => Processes.CommandLine(pid).Contains(fixture.Dir, StringComparison.Ordinal));
    }
}

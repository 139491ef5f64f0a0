namespace Econtext.TransportTests;

/// <summary>
/// The container suite through Docker (<c>docker exec -i</c>) against the fixture's private daemon,
/// and what only a daemon can do wrong: not answer, or refuse a user without access to its socket.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DockerTests(DockerEngine engine, ITestOutputHelper output) : ContainerSuite(engine, output)
{
    private DockerEngine Docker { get; } = engine;

    protected override string NotRunningWords => " is not running";

    protected override string NotFoundWords(string container) => "No such container: " + container;

    protected override ContainerOptions WithProgram(ContainerOptions options, string path) => ((DockerOptions)options) with { DockerPath = path };

    [Fact(Timeout = 60000)]
    public async Task A_daemon_socket_nobody_listens_on_is_EngineUnavailable()
    {
        string socket = Path.Combine(Docker.Dir, "nobody-listens.sock");
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.EngineUnavailable,
            () => ContainerEngine.ConnectAsync(router, Docker.Options(Docker.Running) with { EngineEnvironment = new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + socket } }));
        AssertQuotes(ex, "Cannot connect to the Docker daemon at unix://" + socket);
    }

    [Fact(Timeout = 60000)]
    public async Task A_user_without_access_to_the_socket_is_NotPermitted()
    {
        await using var router = new Router();
        Context nobody = await StartAsync(() => router.SudoAsync(new SudoOptions { User = "nobody" }), "sudo to nobody");
        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.NotPermitted,
            () => ContainerEngine.ConnectAsync(router, Docker.Options(Docker.Running) with { Via = nobody }));
        AssertQuotes(ex, "permission denied while trying to connect to the Docker daemon socket");
        Assert.Null(nobody.DisconnectReason);
    }
}

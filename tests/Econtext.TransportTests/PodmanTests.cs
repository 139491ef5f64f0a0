namespace Econtext.TransportTests;

/// <summary>The container suite through podman (<c>podman exec -i</c>), with the fixture's private store.</summary>
[Collection(PodmanCollection.Name)]
public sealed class PodmanTests(PodmanEngine engine, ITestOutputHelper output) : ContainerSuite(engine, output)
{
    protected override string NotRunningWords => "can only create exec sessions on running containers";

    protected override string NotFoundWords(string container) => $"no container with name or ID \"{container}\" found";

    protected override ContainerOptions WithProgram(ContainerOptions options, string path) => ((PodmanOptions)options) with { PodmanPath = path };
}

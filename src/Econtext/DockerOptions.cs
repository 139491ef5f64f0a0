namespace Econtext;

/// <summary>A context inside a running Docker container (<c>docker exec -i</c>), through the daemon <c>DOCKER_HOST</c> names.</summary>
public sealed record DockerOptions : ContainerOptions
{
    /// <summary>The docker client, a path or a name looked up in PATH; default <c>docker</c>.</summary>
    public string DockerPath { get; init; } = "docker";
}

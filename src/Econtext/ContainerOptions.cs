namespace Econtext;

/// <summary>
/// A context inside a running container, started with the engine's own <c>exec -i</c>
/// (<see cref="PodmanOptions"/>, <see cref="DockerOptions"/>). Nothing needs to be installed in the
/// container but <c>/bin/sh</c>: without .NET there, the runtime is shipped in (see
/// <see cref="RouterOptions.ShipRuntime"/>) and cached inside the container.
/// </summary>
public abstract record ContainerOptions
{
    /// <summary>The container's name or id.</summary>
    public required string Container { get; init; }

    /// <summary>The user to run as inside the container (<c>--user</c>: a name, a uid, or <c>uid:gid</c>); null takes the container's.</summary>
    public string? User { get; init; }

    /// <summary>The working directory inside the container (<c>--workdir</c>); null takes the container's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Variables set inside the container. They are handed to the engine in its own environment and
    /// named with <c>--env NAME</c>, so their values never appear on a command line.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>
    /// Variables for the engine process itself, such as <c>DOCKER_HOST</c> or <c>CONTAINER_HOST</c>;
    /// those already in this process's environment (or the via context's) are used as they are.
    /// </summary>
    public IReadOnlyDictionary<string, string>? EngineEnvironment { get; init; }

    /// <summary>The engine's global arguments, placed before <c>exec</c> (Ansible's <c>ansible_podman_extra_args</c>, <c>ansible_docker_extra_args</c>).</summary>
    public IReadOnlyList<string> EngineArgs { get; init; } = [];

    /// <summary>How long the engine and the context's start may take before the attempt fails with <see cref="ConnectionFailure.ConnectTimeout"/>; default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name used in logs and errors; defaults to <c>podman:CONTAINER</c> or <c>docker:CONTAINER</c>, with <c>@via</c> when started through a context.</summary>
    public string? Name { get; init; }

    /// <summary>A context to run the engine in (it becomes the new context's parent), instead of this process.</summary>
    public Context? Via { get; init; }

    /// <summary>The <c>dotnet</c> host inside the container; by default stage 0 looks in the usual places, then the runtime is shipped.</summary>
    public string? DotnetPath { get; init; }
}

namespace Econtext;

/// <summary>A context inside a running podman container (<c>podman exec -i</c>).</summary>
public sealed record PodmanOptions : ContainerOptions
{
    /// <summary>The podman program, a path or a name looked up in PATH; default <c>podman</c> (Ansible's <c>ansible_podman_executable</c>).</summary>
    public string PodmanPath { get; init; } = "podman";
}

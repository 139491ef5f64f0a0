namespace Econtext.Cli.Targets;

/// <summary>How a host is reached: Ansible's <c>ansible_connection</c>, or the scheme of a target typed on the command line.</summary>
internal enum TargetConnection
{
    /// <summary>OpenSSH's client (<c>ssh</c>, the default).</summary>
    Ssh,

    /// <summary>This machine, no transport (<c>local</c>).</summary>
    Local,

    /// <summary><c>podman exec -i</c> into a running container (<c>containers.podman.podman</c>, <c>podman://</c>).</summary>
    Podman,

    /// <summary><c>docker exec -i</c> into a running container (<c>community.docker.docker</c> and <c>docker_api</c>, <c>docker://</c>).</summary>
    Docker,

    /// <summary><c>buildah run</c> in a working container (<c>containers.podman.buildah</c>, <c>buildah://</c>).</summary>
    Buildah,

    /// <summary><c>chroot</c> into a directory (<c>community.general.chroot</c>, <c>chroot://</c>).</summary>
    Chroot,

    /// <summary><c>lxc-attach</c> into a running LXC container (<c>community.general.lxc</c>, <c>lxc://</c>).</summary>
    Lxc,

    /// <summary><c>nsenter</c> into a process's namespaces (<c>community.docker.nsenter</c>, <c>nsenter://</c>).</summary>
    Nsenter,
}

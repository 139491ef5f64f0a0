using Econtext.Transports;

namespace Econtext.Tests;

/// <summary>
/// The failure classifier fed what the engines and tools really print. Each line was captured from
/// the program named (podman 4.3.1 with runc, buildah 1.28, docker CLI 28.2 against dockerd 20.10,
/// GNU chroot 9.1 in a C.UTF-8 locale, nsenter from util-linux 2.38, lxc-attach from LXC 5.0) unless it says otherwise; ssh,
/// sudo, su and doas lines are there to show the container patterns take none of them.
/// </summary>
public sealed class ContainerFailureTests
{
    public static TheoryData<string, string, ConnectionFailure> Classified => new()
    {
        // podman
        { "podman: no such container", "Error: no container with name or ID \"nosuch\" found: no such container", ConnectionFailure.ContainerNotFound },
        { "podman: stopped or paused", "Error: can only create exec sessions on running containers: container state improper", ConnectionFailure.ContainerNotRunning },
        { "podman: unknown user", "Error: unable to find user bob: no matching entries in passwd file", ConnectionFailure.UserUnknown },
        { "podman: unknown group", "Error: unable to find group nogrp: no matching entries in group file", ConnectionFailure.UserUnknown },
        {
            "podman (runc): no /bin/sh",
            "Error: runc: exec failed: unable to start container process: exec: \"/bin/sh\": stat /bin/sh: no such file or directory: OCI runtime attempted to invoke a command that was not found",
            ConnectionFailure.ShellNotFound
        },
        {
            // crun's wording, as podman on Fedora prints it (not captured here: this machine has runc).
            "podman (crun): no /bin/sh",
            "Error: crun: executable file `/bin/sh` not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found",
            ConnectionFailure.ShellNotFound
        },
        {
            "podman --remote: no service",
            "Cannot connect to Podman. Please verify your connection to the Linux system using `podman system connection list`, or try `podman machine init` and `podman machine start` to manage a new Linux VM\n"
            + "Error: unable to connect to Podman socket: Get \"http://d/v4.3.1/libpod/_ping\": dial unix /nonexistent/podman.sock: connect: no such file or directory",
            ConnectionFailure.EngineUnavailable
        },
        {
            "podman --remote over tcp: refused",
            "Cannot connect to Podman. Please verify your connection to the Linux system using `podman system connection list`, or try `podman machine init` and `podman machine start` to manage a new Linux VM\n"
            + "Error: unable to connect to Podman socket: Get \"http://d/v4.3.1/libpod/_ping\": dial tcp 127.0.0.1:1: connect: connection refused",
            ConnectionFailure.EngineUnavailable
        },

        // lxc-attach (LXC 5.0), the same words for a stopped container and a missing one
        {
            "lxc-attach: stopped or missing",
            "lxc-attach: web: ../src/lxc/attach.c: get_attach_context: 406 Connection refused - Failed to get init pid\n"
            + "lxc-attach: web: ../src/lxc/attach.c: lxc_attach: 1470 Connection refused - Failed to get attach context",
            ConnectionFailure.ContainerNotRunning
        },
        { "lxc-attach: no /bin/sh", "lxc-attach: web: ../src/lxc/attach.c: lxc_attach_run_command: 1841 No such file or directory - Failed to exec \"/bin/sh\"", ConnectionFailure.ShellNotFound },

        // buildah
        { "buildah: no such container", "Error: reading build container \"nosuch\": container not known", ConnectionFailure.ContainerNotFound },
        { "buildah: unknown user", "Error: determining run uid: user: unknown user error looking up user \"bob\"", ConnectionFailure.UserUnknown },
        { "buildah: unknown group", "Error: determining run gid: group: unknown group error looking up group \"nogrp\"", ConnectionFailure.UserUnknown },
        {
            "buildah (runc): no /bin/sh",
            "error running container: from /usr/bin/runc creating container for [/bin/sh -c true]: time=\"2026-12-07T23:40:49Z\" level=error msg=\"runc create failed: unable to start container process: exec: \\\"/bin/sh\\\": stat /bin/sh: no such file or directory\"\n"
            + ": exit status 1\n"
            + "time=\"2026-12-07T23:40:49Z\" level=error msg=\"did not get container create message from subprocess: EOF\"\n"
            + "Error: while running runtime: exit status 1",
            ConnectionFailure.ShellNotFound
        },

        // docker
        { "docker: no such container", "Error response from daemon: No such container: nosuch", ConnectionFailure.ContainerNotFound },
        {
            "docker (dockerd 20.10): stopped",
            "Error response from daemon: Container 6be4127a873a7f2d488f5a0a23fe1369b9ba311de316d8920830a4b3c0527305 is not running",
            ConnectionFailure.ContainerNotRunning
        },
        {
            // Later daemons (moby's containerd exec path) write it in lower case.
            "docker (later daemons): stopped",
            "Error response from daemon: container 6be4127a873a7f2d488f5a0a23fe1369b9ba311de316d8920830a4b3c0527305 is not running",
            ConnectionFailure.ContainerNotRunning
        },
        { "docker: paused", "Error response from daemon: Container d-paused is paused, unpause the container before exec", ConnectionFailure.ContainerNotRunning },
        { "docker: unknown user", "unable to find user bob: no matching entries in passwd file", ConnectionFailure.UserUnknown },
        { "docker: unknown group", "unable to find group nogrp: no matching entries in group file", ConnectionFailure.UserUnknown },
        {
            "docker: no /bin/sh",
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"/bin/sh\": stat /bin/sh: no such file or directory: unknown",
            ConnectionFailure.ShellNotFound
        },
        { "docker: no daemon at DOCKER_HOST", "Cannot connect to the Docker daemon at unix:///nonexistent. Is the docker daemon running?", ConnectionFailure.EngineUnavailable },
        { "docker: no daemon on tcp", "Cannot connect to the Docker daemon at tcp://127.0.0.1:1. Is the docker daemon running?", ConnectionFailure.EngineUnavailable },
        {
            "docker: daemon host does not resolve",
            "error during connect: Get \"http://nosuch.invalid:2375/v1.50/containers/x/json\": dial tcp: lookup nosuch.invalid on 10.255.255.53:53: no such host",
            ConnectionFailure.EngineUnavailable
        },
        {
            "docker 28: socket not ours",
            "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.50/containers/x/json\": dial unix /var/run/docker.sock: connect: permission denied",
            ConnectionFailure.NotPermitted
        },
        {
            // The wording of docker CLIs before 28 (from the docker CLI's sources).
            "docker (older CLI): socket not ours",
            "Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/x/json\": dial unix /var/run/docker.sock: connect: permission denied",
            ConnectionFailure.NotPermitted
        },

        // chroot
        { "chroot: no directory", "chroot: cannot change root directory to '/nonexistent-dir': No such file or directory", ConnectionFailure.ContainerNotFound },
        { "chroot: a file, not a directory", "chroot: cannot change root directory to 'afile': Not a directory", ConnectionFailure.ContainerNotFound },
        { "chroot: unknown user", "chroot: invalid user", ConnectionFailure.UserUnknown },
        { "chroot: unknown group", "chroot: invalid group", ConnectionFailure.UserUnknown },
        { "chroot (UTF-8 locale): no /bin/sh", "chroot: failed to run command \u2018/bin/sh\u2019: No such file or directory", ConnectionFailure.ShellNotFound },
        { "chroot (C locale): no /bin/sh", "chroot: failed to run command '/bin/sh': No such file or directory", ConnectionFailure.ShellNotFound },
        { "chroot: not root", "chroot: cannot change root directory to '/': Operation not permitted", ConnectionFailure.NotPermitted },

        // nsenter
        { "nsenter --all: no such process", "nsenter: stat of /proc/999999/ns/user failed: No such file or directory", ConnectionFailure.ContainerNotFound },
        { "nsenter --net: no such process", "nsenter: cannot open /proc/999999/ns/net: No such file or directory", ConnectionFailure.ContainerNotFound },
        { "nsenter --all: not root", "nsenter: stat of /proc/1/ns/user failed: Permission denied", ConnectionFailure.NotPermitted },
        { "nsenter --mount: not root", "nsenter: cannot open /proc/1/ns/mnt: Permission denied", ConnectionFailure.NotPermitted },
        { "nsenter: own process, no CAP_SYS_ADMIN", "nsenter: reassociate to namespace 'ns/cgroup' failed: Operation not permitted", ConnectionFailure.NotPermitted },
        { "nsenter: no /bin/sh in the target's root", "nsenter: failed to execute /bin/sh: No such file or directory", ConnectionFailure.ShellNotFound },

        // Any transport: a runtime that cannot run there.
        {
            "runtime without libstdc++",
            "/tmp/econtext-runtime.0/10.0.0-linux-x64-0123456789ab/dotnet: error while loading shared libraries: libstdc++.so.6: cannot open shared object file: No such file or directory",
            ConnectionFailure.RuntimeDependencyMissing
        },

        // ssh, sudo, su, doas: their own kinds, whatever the container patterns look for.
        { "ssh: refused", "ssh: connect to host 127.0.0.1 port 1: Connection refused", ConnectionFailure.ConnectionRefused },
        { "ssh: unresolved", "ssh: Could not resolve hostname nonexistent.invalid: Name or service not known", ConnectionFailure.HostUnresolved },
        { "ssh: no key accepted", "ectab12n@127.0.0.1: Permission denied (publickey,password).", ConnectionFailure.AuthenticationFailed },
        { "ssh: strict host key", "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.", ConnectionFailure.HostKeyUnknown },
        { "sudo: not a sudoer", "ectab12n is not in the sudoers file.", ConnectionFailure.NotPermitted },
        { "sudo -n: password needed", "sudo: a password is required", ConnectionFailure.PasswordRequired },
        { "sudo: wrong password", "Sorry, try again.\nsudo: 3 incorrect password attempts", ConnectionFailure.PasswordIncorrect },
        { "su: wrong password", "su: Authentication failure", ConnectionFailure.PasswordIncorrect },
        { "doas: not permitted", "doas: Operation not permitted", ConnectionFailure.NotPermitted },
        { "doas: wrong password", "doas: Authentication failed", ConnectionFailure.PasswordIncorrect },
    };

    /// <summary>Lines that name no failure the classifier knows: left to the generic "exited" message, quoted as they are.</summary>
    public static TheoryData<string, string> Unclassified => new()
    {
        { "podman: missing --workdir", "Error: runc: exec failed: unable to start container process: chdir to cwd (\"/nonexist\") set in config.json failed: no such file or directory: OCI runtime attempted to invoke a command that was not found" },
        { "docker: missing --workdir", "OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd (\"/nonexist\") set in config.json failed: no such file or directory: unknown" },
        { "doas without a doas.conf", "doas: doas is not enabled, /etc/doas.conf: No such file or directory" },
        { "su to an account without a shell", "This account is currently not available." },
        { "a shell that cannot find a program", "sh: 1: cat: not found" },
        { "nothing", string.Empty },
    };

    [Theory]
    [MemberData(nameof(Classified))]
    public void Classifies_what_the_program_printed(string source, string printed, ConnectionFailure expected)
    {
        (ConnectionFailure Kind, string Advice)? result = TransportFailure.Classify(printed.Split('\n'), FailureHints.None);

        Assert.True(result is not null, $"{source}: not classified, {expected} expected");
        Assert.True(result.Value.Kind == expected, $"{source}: {result.Value.Kind}, {expected} expected");
        Assert.False(string.IsNullOrWhiteSpace(result.Value.Advice));
    }

    [Theory]
    [MemberData(nameof(Unclassified))]
    public void Leaves_other_output_unclassified(string source, string printed)
    {
        (ConnectionFailure Kind, string Advice)? result = TransportFailure.Classify(printed.Split('\n'), FailureHints.None);

        Assert.True(result is null, $"{source}: classified as {result?.Kind}");
    }

    /// <summary>The container classifier alone takes every engine, chroot and nsenter line above, and none of the ssh, sudo, su and doas lines: they are never its to name.</summary>
    [Theory]
    [MemberData(nameof(Classified))]
    public void The_container_classifier_takes_its_own_lines_and_no_ssh_or_become_line(string source, string printed, ConnectionFailure expected)
    {
        bool container = ContainerFailure.Classify(printed) is not null;
        bool ours = source.StartsWith("podman", StringComparison.Ordinal) || source.StartsWith("buildah", StringComparison.Ordinal) || source.StartsWith("docker", StringComparison.Ordinal)
            || source.StartsWith("chroot", StringComparison.Ordinal) || source.StartsWith("nsenter", StringComparison.Ordinal) || source.StartsWith("lxc", StringComparison.Ordinal) || source.StartsWith("runtime", StringComparison.Ordinal);
        Assert.True(container == ours, $"{source} ({expected}): the container classifier {(container ? "took" : "did not take")} it");
    }
}

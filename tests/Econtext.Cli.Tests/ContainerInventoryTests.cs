using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

/// <summary>
/// Inventory hosts reached by podman, docker, buildah, chroot and nsenter: which variables fill which field, which
/// of two variables wins (as Ansible's plugins resolve them), and the errors for what econtext cannot do.
/// </summary>
public sealed class ContainerInventoryTests
{
    private static TargetHost Host(string ini, string name) => Inventory.ParseIni(ini, "hosts.ini").FindHost(name)!;

    private static InventoryException Rejected(string ini) => Assert.Throws<InventoryException>(() => TestInventories.Refusing(Inventory.ParseIni(ini, "hosts.ini")));

    [Theory]
    [InlineData("podman", "Podman")]
    [InlineData("containers.podman.podman", "Podman")]
    [InlineData("docker", "Docker")]
    [InlineData("community.docker.docker", "Docker")]
    [InlineData("community.docker.docker_api", "Docker")]
    [InlineData("buildah", "Buildah")]
    [InlineData("containers.podman.buildah", "Buildah")]
    [InlineData("chroot", "Chroot")]
    [InlineData("community.general.chroot", "Chroot")]
    [InlineData("lxc", "Lxc")]
    [InlineData("community.general.lxc", "Lxc")]
    [InlineData("community.docker.nsenter", "Nsenter")]
    [InlineData("ansible.builtin.ssh", "Ssh")]
    [InlineData("local", "Local")]
    public void Ansible_connection_names_the_transport_by_short_or_collection_name(string plugin, string expected) =>
        Assert.Equal(Enum.Parse<TargetConnection>(expected), Host($"box ansible_connection={plugin}\n", "box").Connection);

    [Fact]
    public void A_podman_host_takes_container_user_engine_arguments_and_environment()
    {
        var host = Host("""
            [pods]
            web ansible_podman_extra_env='{"LANG": "C.UTF-8", "N": 1}' ansible_user=app
            [pods:vars]
            ansible_connection=containers.podman.podman
            ansible_host=web-1
            ansible_podman_executable=/opt/podman/bin/podman
            ansible_podman_extra_args=--root /srv/storage --runroot '/run/my storage'
            ansible_podman_working_directory=/app
            """, "web");

        Assert.Equal(TargetConnection.Podman, host.Connection);
        Assert.Equal(("web-1", "app", "/opt/podman/bin/podman", "/app"), (host.ConnectAddress, host.User, host.ProgramPath, host.WorkingDirectory));
        Assert.Equal(["--root", "/srv/storage", "--runroot", "/run/my storage"], host.EngineArgs);
        Assert.Equal(new Dictionary<string, string> { ["LANG"] = "C.UTF-8", ["N"] = "1" }, host.ContainerEnvironment);
        Assert.Null(host.EngineEnvironment);
    }

    [Fact]
    public void Without_ansible_host_the_inventory_name_is_the_container()
    {
        var host = Host("web ansible_connection=podman\n", "web");

        Assert.Equal(("web", null), (host.ConnectAddress, host.User));
        Assert.Empty(host.EngineArgs);
    }

    [Fact]
    public void Podman_buildah_and_chroot_take_ansible_ssh_host_over_ansible_host_as_ansible_does()
    {
        // Those plugins take the container from Ansible's play context, which reads ansible_ssh_host first;
        // docker's plugin lists ansible_host then ansible_docker_host, and the later one wins.
        const string Vars = "ansible_host=by-host ansible_ssh_host=by-ssh-host ansible_docker_host=by-docker-host";
        var ini = $"p ansible_connection=podman {Vars}\nb ansible_connection=buildah {Vars}\nc ansible_connection=chroot {Vars}\nd ansible_connection=docker {Vars}\n";

        Assert.Equal("by-ssh-host", Host(ini, "p").ConnectAddress);
        Assert.Equal("by-ssh-host", Host(ini, "b").ConnectAddress);
        Assert.Equal("by-ssh-host", Host(ini, "c").ConnectAddress);
        Assert.Equal("by-docker-host", Host(ini, "d").ConnectAddress);
    }

    [Fact]
    public void A_docker_host_prefers_ansible_docker_user_and_reads_its_own_arguments()
    {
        var host = Host("""
            app ansible_connection=docker ansible_user=u1 ansible_docker_user=u2 ansible_docker_extra_args='--context prod' ansible_docker_working_dir=/srv ansible_docker_extra_env='{"A": "b"}' ansible_docker_privileged=no
            """, "app");

        Assert.Equal(("u2", "/srv"), (host.User, host.WorkingDirectory));
        Assert.Equal(["--context", "prod"], host.EngineArgs);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "b" }, host.ContainerEnvironment);
    }

    [Fact]
    public void A_docker_api_host_runs_the_docker_client_against_the_daemon_it_names()
    {
        var host = Host("""
            app ansible_connection=community.docker.docker_api ansible_docker_docker_host=tcp://10.0.0.9:2375 ansible_docker_extra_args=--debug
            """, "app");

        Assert.Equal(TargetConnection.Docker, host.Connection);
        Assert.Equal(new Dictionary<string, string> { ["DOCKER_HOST"] = "tcp://10.0.0.9:2375" }, host.EngineEnvironment);
        // Ansible's docker_api plugin reads no ansible_docker_extra_args (it runs no docker client).
        Assert.Empty(host.EngineArgs);
    }

    [Fact]
    public void A_plain_docker_host_ignores_the_api_plugins_daemon_variable() =>
        Assert.Null(Host("app ansible_connection=docker ansible_docker_docker_host=tcp://x:2375\n", "app").EngineEnvironment);

    [Fact]
    public void A_buildah_host_takes_its_executable_arguments_and_directory()
    {
        var host = Host("wc ansible_connection=buildah ansible_user=1000 ansible_buildah_executable=/usr/local/bin/buildah ansible_buildah_extra_args='--storage-driver vfs' ansible_buildah_working_directory=/build\n", "wc");

        Assert.Equal(("wc", "1000", "/usr/local/bin/buildah", "/build"), (host.ConnectAddress, host.User, host.ProgramPath, host.WorkingDirectory));
        Assert.Equal(["--storage-driver", "vfs"], host.EngineArgs);
    }

    [Fact]
    public void A_chroot_host_is_its_directory_and_ignores_ansible_user_as_ansible_does()
    {
        var host = Host("jail ansible_connection=chroot ansible_host=/srv/jail ansible_user=nobody ansible_chroot_exe=/usr/sbin/chroot\n", "jail");

        Assert.Equal(("/srv/jail", null, "/usr/sbin/chroot"), (host.ConnectAddress, host.User, host.ProgramPath));
    }

    [Fact]
    public void An_nsenter_host_enters_pid_1_by_default_with_ansibles_namespaces_and_ignores_the_user()
    {
        var inventory = Inventory.ParseIni("init ansible_connection=community.docker.nsenter ansible_user=nobody\nother ansible_connection=community.docker.nsenter ansible_nsenter_pid=4242 ansible_host=ignored\n", "hosts.ini");

        var init = inventory.FindHost("init")!;
        Assert.Equal((1, (string?)null), (init.Pid, init.User));
        Assert.Equal(["--ipc", "--mount", "--net", "--pid", "--uts", "--preserve-credentials"], init.NsenterArgs);
        Assert.Equal(4242, inventory.FindHost("other")!.Pid);
    }

    [Fact]
    public void A_yaml_mapping_is_the_container_environment()
    {
        var host = Inventory.ParseYaml("""
            all:
              hosts:
                web:
                  ansible_connection: podman
                  ansible_podman_extra_env:
                    LANG: C.UTF-8
                    TZ: UTC
            """, "hosts.yml").FindHost("web")!;

        Assert.Equal(new Dictionary<string, string> { ["LANG"] = "C.UTF-8", ["TZ"] = "UTC" }, host.ContainerEnvironment);
    }

    [Fact]
    public void Ssh_hosts_take_the_ssh_named_variables_over_the_plain_ones_as_ansible_does()
    {
        var host = Host("old ansible_host=10.0.0.1 ansible_ssh_host=10.0.0.2 ansible_user=plain ansible_ssh_user=legacy ansible_port=2201 ansible_ssh_port=2202\n", "old");

        Assert.Equal(("10.0.0.2", "legacy", (int?)2202), (host.ConnectAddress, host.User, host.Port));
    }

    [Theory]
    [InlineData("box ansible_connection=kubectl", "ansible_connection is \"kubectl\"; econtext supports ssh, local, podman, docker, docker_api, buildah, lxc, chroot and nsenter")]
    [InlineData("box ansible_connection=docker ansible_docker_privileged=true", "ansible_docker_privileged is true; econtext does not run docker exec --privileged")]
    [InlineData("box ansible_connection=docker ansible_docker_privileged=maybe", "ansible_docker_privileged is \"maybe\"; it must be yes/no")]
    [InlineData("box ansible_connection=buildah ansible_buildah_extra_env='{\"A\": \"b\"}'", "econtext cannot set variables in a buildah container")]
    [InlineData("box ansible_connection=community.docker.nsenter ansible_nsenter_pid=init", "ansible_nsenter_pid is \"init\"; it must be a process id")]
    [InlineData("box ansible_connection=community.docker.nsenter ansible_nsenter_pid=0", "ansible_nsenter_pid is \"0\"")]
    [InlineData("box ansible_connection=podman ansible_host=--privileged", "the container \"--privileged\" starts with '-', which podman would take as an option")]
    [InlineData("box ansible_connection=docker ansible_user=-x", "the user \"-x\" starts with '-', which docker would take as an option")]
    [InlineData("box ansible_connection=chroot ansible_host=-r", "the directory \"-r\" starts with '-', which chroot would take as an option")]
    [InlineData("box ansible_host=-oProxyCommand=x", "the address \"-oProxyCommand=x\" starts with '-', which ssh would take as an option")]
    [InlineData("box ansible_connection=podman ansible_podman_extra_env=LANG=C", "ansible_podman_extra_env is \"LANG=C\"; ansible_podman_extra_env must map names to values")]
    [InlineData("box ansible_connection=podman ansible_podman_extra_env='[\"A\"]'", "must map names to values")]
    [InlineData("box ansible_connection=podman ansible_podman_extra_env='{\"A=B\": \"c\"}'", "names a variable \"A=B\"")]
    [InlineData("box ansible_connection=podman ansible_podman_extra_env='{\"A\": [1]}'", "gives A a array; each value must be text")]
    [InlineData("box ansible_connection=podman ansible_podman_extra_args='--root \"/x'", "ansible_podman_extra_args cannot be split into words")]
    [InlineData("box ansible_connection=podman ansible_podman_extra_args='{{ storage }}'", "ansible_podman_extra_args is \"{{ storage }}\", a Jinja template")]
    public void Refuses_what_econtext_cannot_do_naming_the_host_and_the_variable(string line, string reason)
    {
        var ex = Rejected(line + "\n");

        Assert.StartsWith("hosts.ini: host box: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_lxc_host_is_named_by_ansible_lxc_host_then_ansible_host_and_attaches_as_root()
    {
        var inventory = Inventory.ParseIni("a ansible_connection=community.general.lxc ansible_host=web ansible_lxc_host=web-lxc ansible_user=nobody\nb ansible_connection=lxc ansible_host=db\nc ansible_connection=lxc\n", "hosts.ini");

        Assert.Equal(["web-lxc", "db", "c"], inventory.Hosts.Select(h => h.ConnectAddress));
        Assert.All(inventory.Hosts, h => Assert.Equal((TargetConnection.Lxc, (string?)null), (h.Connection, h.User)));
    }
}

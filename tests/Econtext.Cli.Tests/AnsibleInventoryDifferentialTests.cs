using System.Diagnostics;
using System.Text.Json.Nodes;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

/// <summary>
/// Ansible itself as the reference: <c>ansible-inventory --list</c> resolves group and host variables for a small
/// inventory of ssh, podman, docker, chroot and nsenter hosts, and each host's container, directory, pid and user
/// must be what Ansible's connection plugin would take from those variables. The plugins' rules are written out
/// below as the plugins declare them (a list of variables per option, the last one set winning; podman, buildah
/// and chroot reading the play context's address, ansible_ssh_host before ansible_host).
/// </summary>
public sealed partial class AnsibleInventoryDifferentialTests
{
    private const string Ini = """
        [all:vars]
        ansible_host=from-all
        ansible_user=all-user

        [engines:children]
        pods
        docks

        [engines:vars]
        ansible_user=engines-user

        [pods]
        pod1
        pod2 ansible_ssh_host=pod2-ssh ansible_user=pod2-user

        [pods:vars]
        ansible_connection=containers.podman.podman
        ansible_host=pods-host

        [docks]
        dock1 ansible_docker_user=dock1-docker-user
        dock2 ansible_host=dock2-host
        dock3 ansible_connection=community.docker.docker_api ansible_docker_extra_env='{"LANG": "C.UTF-8"}'

        [docks:vars]
        ansible_connection=community.docker.docker
        ansible_docker_host=docks-docker-host

        [docks_plain]
        dock4 ansible_connection=docker ansible_host=dock4-host

        [jails]
        jail1 ansible_host=/srv/jail1
        jail2

        [jails:vars]
        ansible_connection=chroot
        ansible_user=not-read-by-chroot

        [ns]
        ns1
        ns2 ansible_nsenter_pid=4242

        [ns:vars]
        ansible_connection=community.docker.nsenter

        [ssh]
        s1 ansible_ssh_user=s1-legacy
        s2 ansible_port=2222 ansible_ssh_host=s2-ssh

        [prio_a]
        both ansible_connection=podman

        [prio_b]
        both

        [prio_a:vars]
        ansible_host=a-host
        ansible_group_priority=10

        [prio_b:vars]
        ansible_host=b-host
        """;

    [Fact(Timeout = 60000)]
    public async Task Each_hosts_container_directory_pid_and_user_follow_ansibles_resolution()
    {
        string path = Path.Combine(Path.GetTempPath(), $"econtext-differential-{Guid.NewGuid():N}.ini");
        await File.WriteAllTextAsync(path, Ini);
        try
        {
            JsonObject hostvars = (await AnsibleInventoryAsync(path))["_meta"]!["hostvars"]!.AsObject();
            Inventory ours = Inventory.Load(path);

            Assert.Equal(hostvars.Select(h => h.Key).Order(StringComparer.Ordinal), ours.Hosts.Select(h => h.Name).Order(StringComparer.Ordinal));
            foreach ((string name, JsonNode? node) in hostvars)
            {
                JsonObject vars = node!.AsObject();
                TargetHost host = ours.FindHost(name)!;

                // The same variables after group and host precedence...
                foreach ((string key, JsonNode? value) in vars)
                {
                    Assert.True(host.Vars.TryGetValue(key, out string? mine), $"{name}: {key} missing");
                    Assert.True(
                        value is JsonValue ? value.ToString() == mine : JsonNode.DeepEquals(value, JsonNode.Parse(mine!)),
                        $"{name}: {key} is {value?.ToJsonString()} in Ansible, {mine} here");
                }

                // ...and from them what the connection plugin connects to.
                (TargetConnection connection, string? address, string? user, int? pid) = Expected(name, vars);
                Assert.True(
                    (connection, address, user, pid) == (host.Connection, host.Connection == TargetConnection.Nsenter ? null : host.ConnectAddress, host.User, host.Pid),
                    $"{name}: expected {(connection, address, user, pid)}, got {(host.Connection, host.ConnectAddress, host.User, host.Pid)}");
            }

            // The cases the inventory was written for, so a resolution that changed under both would still show.
            Assert.Equal(("pods-host", "engines-user"), (ours.FindHost("pod1")!.ConnectAddress, ours.FindHost("pod1")!.User));
            Assert.Equal(("pod2-ssh", "pod2-user"), (ours.FindHost("pod2")!.ConnectAddress, ours.FindHost("pod2")!.User));
            Assert.Equal(("docks-docker-host", "dock1-docker-user"), (ours.FindHost("dock1")!.ConnectAddress, ours.FindHost("dock1")!.User));
            Assert.Equal("docks-docker-host", ours.FindHost("dock2")!.ConnectAddress);
            Assert.Equal("dock4-host", ours.FindHost("dock4")!.ConnectAddress);
            Assert.Equal(("/srv/jail1", (string?)null), (ours.FindHost("jail1")!.ConnectAddress, ours.FindHost("jail1")!.User));
            Assert.Equal("from-all", ours.FindHost("jail2")!.ConnectAddress);
            Assert.Equal((1, 4242), (ours.FindHost("ns1")!.Pid, ours.FindHost("ns2")!.Pid));
            Assert.Equal(("from-all", "s1-legacy"), (ours.FindHost("s1")!.ConnectAddress, ours.FindHost("s1")!.User));
            Assert.Equal(("s2-ssh", (int?)2222), (ours.FindHost("s2")!.ConnectAddress, ours.FindHost("s2")!.Port));
            Assert.Equal("a-host", ours.FindHost("both")!.ConnectAddress);
            Assert.Equal("C.UTF-8", ours.FindHost("dock3")!.ContainerEnvironment!["LANG"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>What each plugin takes, from the variables Ansible resolved, by the plugin's own declaration.</summary>
    private static (TargetConnection, string?, string?, int?) Expected(string name, JsonObject vars)
    {
        // An option fed by several variables takes the last one that is set.
        string? Last(params string[] names) => names.Reverse().Select(n => vars[n]?.ToString()).FirstOrDefault(v => v is not null);

        string? plugin = vars["ansible_connection"]?.ToString();
        return plugin switch
        {
            // ssh: host from [inventory_hostname, ansible_host, ansible_ssh_host], user from [ansible_user, ansible_ssh_user].
            null or "ssh" => (TargetConnection.Ssh, Last("ansible_host", "ansible_ssh_host") ?? name, Last("ansible_user", "ansible_ssh_user"), null),
            // podman: the play context's remote_addr (ansible_ssh_host, then ansible_host), user from [ansible_user].
            "podman" or "containers.podman.podman" => (TargetConnection.Podman, vars["ansible_ssh_host"]?.ToString() ?? vars["ansible_host"]?.ToString() ?? name, Last("ansible_user"), null),
            // docker and docker_api: remote_addr from [inventory_hostname, ansible_host, ansible_docker_host], user from [ansible_user, ansible_docker_user].
            "docker" or "community.docker.docker" or "community.docker.docker_api" => (TargetConnection.Docker, Last("ansible_host", "ansible_docker_host") ?? name, Last("ansible_user", "ansible_docker_user"), null),
            // chroot: the play context's remote_addr; no user.
            "chroot" => (TargetConnection.Chroot, vars["ansible_ssh_host"]?.ToString() ?? vars["ansible_host"]?.ToString() ?? name, null, null),
            // nsenter: nsenter_pid from [ansible_nsenter_pid], default 1; always root.
            "community.docker.nsenter" => (TargetConnection.Nsenter, null, null, int.Parse(Last("ansible_nsenter_pid") ?? "1", System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new InvalidOperationException($"{name}: the test inventory has no {plugin} host"),
        };
    }

    private static async Task<JsonObject> AnsibleInventoryAsync(string path)
    {
        var start = new ProcessStartInfo("ansible-inventory")
        {
            ArgumentList = { "-i", path, "--list" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ANSIBLE_NOCOLOR"] = "1";
        start.Environment["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "1";
        // Its install is a Debian package the tests depend on (.ci/packages: ansible-core); a missing one fails here.
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"ansible-inventory exited {process.ExitCode}: {await stderr}");
        return JsonNode.Parse(await stdout)!.AsObject();
    }
}
